from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.moderation.models import ClaimKind, Decision, Isolation


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(label=_("Claim"), choices=ClaimKind.choices, widget=forms.RadioSelect)
    isolation = forms.ChoiceField(label=_("How the lot is isolated"), choices=Isolation.choices)
    statement = forms.CharField(
        label=_("How the lot was kept separate"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Which plot or group, which picking days, how it was fermented, dried and milled apart."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason (the producer reads it)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    seen_status = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)


class ReplyForm(forms.Form):
    note = forms.CharField(
        label=_("Your answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Add new photos, custody events or cupping through the lot's pages, then tell the moderator here."),
    )
