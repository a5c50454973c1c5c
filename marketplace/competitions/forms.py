"""Forms of the competition pages; ``services`` re-validates everything."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.competitions.models import CompetitionKind, JuryProtocol


class ResultForm(forms.Form):
    competition = forms.ChoiceField(label=_("Competition"), choices=CompetitionKind.choices)
    name = forms.CharField(
        label=_("Name of the contest"),
        max_length=200,
        required=False,
        help_text=_('e.g. "Cup of Excellence Ethiopia"; needed for national, regional and other contests'),
    )
    year = forms.IntegerField(label=_("Year"), min_value=1999, max_value=2100)
    category = forms.CharField(label=_("Category"), max_length=120, required=False)
    rank = forms.IntegerField(label=_("Rank"), min_value=1, max_value=1000, help_text=_("1 for the winner"))
    jury_score = forms.DecimalField(label=_("Jury score"), max_digits=5, decimal_places=2)
    jury_protocol = forms.ChoiceField(label=_("Scored on"), choices=JuryProtocol.choices)
    url = forms.URLField(
        label=_("Link to the published results"), max_length=500, required=False, assume_scheme="https"
    )
    document = forms.FileField(
        label=_("Document"),
        required=False,
        help_text=_("The jury's certificate or the published results: PDF, JPEG, PNG or WebP"),
    )


class DecisionForm(forms.Form):
    to = forms.ChoiceField(label=_("Decision"), choices=[("verified", _("Verify")), ("rejected", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
