"""Forms for the trade pages. They parse input; the services decide (and raise per-field errors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import Currency, Incoterm, PriceUnit
from marketplace.negotiation.models import ClaimOutcome, SampleKind


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, each message by its field where there is one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class OfferForm(forms.Form):
    quantity_kg = forms.DecimalField(
        label=_("Quantity (kg)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    price = forms.DecimalField(label=_("Price"), max_digits=14, decimal_places=4, min_value=Decimal("0.0001"))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.USD)
    price_unit = forms.ChoiceField(label=_("Per"), choices=PriceUnit.choices, initial=PriceUnit.KG)
    incoterm = forms.ChoiceField(label=_("Incoterm"), choices=Incoterm.choices, initial=Incoterm.FOB)
    incoterm_place = forms.CharField(label=_("Incoterm place"), max_length=200, required=False)
    shipment_window = forms.CharField(
        label=_("Shipment window"),
        max_length=200,
        required=False,
        help_text=_("For example: March–April 2027"),
    )
    condition = forms.CharField(
        label=_("Condition (optional)"),
        max_length=500,
        required=False,
        help_text=_("For example: subject to pre-shipment sample approval"),
    )
    expires_at = forms.DateTimeField(
        label=_("Offer expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Leave empty for one week."),
    )

    @classmethod
    def initial_from(cls, source: Any) -> dict[str, Any]:
        """Pre-fill from a lot's asking terms or from the offer on the table."""
        return {
            "quantity_kg": getattr(source, "quantity_kg", None) or getattr(source, "available_kg", None),
            "price": source.price,
            "currency": source.currency,
            "price_unit": source.price_unit,
            "incoterm": source.incoterm,
            "incoterm_place": source.incoterm_place,
            "shipment_window": getattr(source, "shipment_window", ""),
            "condition": getattr(source, "condition", ""),
        }

    def terms(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("expires_at") is not None and timezone.is_naive(data["expires_at"]):
            data["expires_at"] = timezone.make_aware(data["expires_at"])
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


class SampleRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of sample"), choices=SampleKind.choices, initial=SampleKind.OFFER)
    grams = forms.IntegerField(
        label=_("Weight (g)"), min_value=1, max_value=100000, initial=250, help_text=_("Typically 100–350 g.")
    )
    message = forms.CharField(
        label=_("Message to the producer"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SampleDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class ShipForm(forms.Form):
    courier = forms.CharField(label=_("Courier / carrier"), max_length=100)
    tracking = forms.CharField(label=_("Tracking number"), max_length=100)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class OrderShipForm(ShipForm):
    documents = MultipleFileField(
        label=_("Documents (PDF, JPEG or PNG)"),
        required=False,
        help_text=_("Bill of lading, phytosanitary certificate, packing list…"),
    )


class SampleFeedbackForm(forms.Form):
    feedback_score = forms.DecimalField(
        label=_("Score"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    feedback_notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    cupping_sheet_id = forms.IntegerField(label=_("…or the number of your cupping sheet"), min_value=1, required=False)


class SampleTermsForm(forms.Form):
    fee = forms.DecimalField(label=_("Price of one sample"), max_digits=10, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.USD)


class ClaimForm(forms.Form):
    description = forms.CharField(
        label=_("What is wrong with the coffee?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ClaimResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ClaimOutcome.choices)
    resolution = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)
