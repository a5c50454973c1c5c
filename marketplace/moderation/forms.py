from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.moderation import conf
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


OVERRIDE_PREFIX = "override_"


class DecisionForm(forms.Form):
    """The decision, plus one "approve despite" reason field per failing hallmark of the claim."""

    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason (the producer reads it)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    seen_status = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args: Any, failing: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing_keys: list[str] = []
        for hallmark in failing:
            self.failing_keys.append(hallmark.key)
            self.fields[OVERRIDE_PREFIX + hallmark.key] = forms.CharField(
                label=_("Approve despite “%(hallmark)s” failing, because…") % {"hallmark": hallmark.get_key_display()},
                help_text=hallmark.display_reason,
                required=False,
                max_length=conf.OVERRIDE_REASON_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def override_fields(self) -> list[forms.BoundField]:
        return [self[OVERRIDE_PREFIX + key] for key in self.failing_keys]

    def overrides(self) -> dict[str, str]:
        """hallmark key → reason, for the override fields the moderator filled in."""
        data = getattr(self, "cleaned_data", {})
        out = {key: (data.get(OVERRIDE_PREFIX + key) or "").strip() for key in self.failing_keys}
        return {key: text for key, text in out.items() if text}

    def mark_missing_overrides(self) -> None:
        for key in self.failing_keys:
            name = OVERRIDE_PREFIX + key
            if name not in self.errors and not (getattr(self, "cleaned_data", {}).get(name) or "").strip():
                self.add_error(name, _("Write why you approve despite this failing hallmark."))


class ReplyForm(forms.Form):
    note = forms.CharField(
        label=_("Your answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Add new photos, custody events or cupping through the lot's pages, then tell the moderator here."),
    )
