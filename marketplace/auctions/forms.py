from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import Currency
from lots.models import Lot
from marketplace.auctions import conf
from marketplace.auctions.models import ClosingMode

_PRICE: dict[str, Any] = {"max_digits": 14, "decimal_places": 4, "min_value": Decimal("0.0001")}


class BidForm(forms.Form):
    amount_per_kg = forms.DecimalField(label=_("Your bid per kg"), **_PRICE)
    max_amount_per_kg = forms.DecimalField(
        label=_("Maximum per kg (optional)"),
        required=False,
        help_text=_("We bid for you by the minimum increment, only as needed, up to this amount."),
        **_PRICE,
    )

    def __init__(self, *args: Any, prefix_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if prefix_id is not None:
            for name, field in self.fields.items():
                field.widget.attrs.update({"id": f"id_{name}_{prefix_id}", "inputmode": "decimal", "step": "any"})


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class AuctionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000, widget=forms.Textarea)
    starts_at = forms.DateTimeField(label=_("Starts at (UTC)"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(
        label=_("Ends at (UTC)"),
        widget=DateTimeLocalInput(),
        required=False,
        help_text=_(
            "Per-lot soft close: the scheduled end. Event clock: optional; lots still without a bid then close"
            " unsold, and a running clock is never cut short."
        ),
    )
    closing_mode = forms.ChoiceField(label=_("Closing"), choices=ClosingMode.choices, initial=ClosingMode.PER_LOT)
    extension_minutes = forms.IntegerField(
        label=_("Soft close (minutes)"), min_value=1, max_value=60, initial=conf.DEFAULT_EXTENSION_MINUTES
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.USD)
    increment_per_kg = forms.DecimalField(label=_("Minimum increment per kg"), **_PRICE)
    increment_table = forms.CharField(
        label=_("Increment steps by price (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "50: 1\n100: 5"}),
        help_text=_("One step per line: “price level: increment”. Below the first level the fixed increment applies."),
    )

    def __init__(self, *args: Any, lots: list[Lot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = lots
        now = timezone.now().replace(second=0, microsecond=0)
        self.fields["starts_at"].initial = now
        self.fields["ends_at"].initial = now + datetime.timedelta(days=1)
        for lot in lots:
            self.fields[f"lot_{lot.pk}"] = forms.BooleanField(label=str(lot), required=False)
            self.fields[f"opening_{lot.pk}"] = forms.DecimalField(
                label=_("Opening price per kg"), required=False, **_PRICE
            )
            self.fields[f"reserve_{lot.pk}"] = forms.DecimalField(
                label=_("Hidden reserve per kg (optional)"), required=False, **_PRICE
            )

    def lot_rows(self) -> list[tuple[Lot, Any, Any, Any]]:
        return [(lot, self[f"lot_{lot.pk}"], self[f"opening_{lot.pk}"], self[f"reserve_{lot.pk}"]) for lot in self.lots]

    def main_fields(self) -> list[Any]:
        return [self[name] for name in AuctionForm.base_fields]

    def clean_increment_table(self) -> list[list[str]]:
        rows = []
        for n, line in enumerate((self.cleaned_data.get("increment_table") or "").splitlines(), start=1):
            if not line.strip():
                continue
            level, sep, step = line.partition(":")
            if not sep:
                raise forms.ValidationError(_("Line %(n)s: write “price level: increment”.") % {"n": n})
            rows.append([level.strip(), step.strip()])
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = []
        for lot in self.lots:
            if data.get(f"lot_{lot.pk}"):
                if data.get(f"opening_{lot.pk}") is None:
                    self.add_error(f"opening_{lot.pk}", _("Give an opening price for each chosen lot."))
                chosen.append(lot)
        if not chosen:
            raise forms.ValidationError(_("Choose at least one lot."))
        data["chosen"] = chosen
        return data
