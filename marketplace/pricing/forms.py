"""Forms of the moderator pages; the services re-validate everything."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import ExchangeRate
from marketplace.pricing.models import CPrice, IncotermAdjustment, SpecialtyBaseline
from marketplace.pricing.services import TABLES


class _DateInput(forms.DateInput):
    input_type = "date"


def _formfield(field: Any, **kwargs: Any) -> Any:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


def _form_for(model: type, kind: str) -> type[forms.ModelForm]:
    fields = TABLES[kind][1]
    widgets = {name: _DateInput() for name in fields if name in ("published_on", "observed_on", "valid_on")}
    meta = type(
        "Meta",
        (),
        {"model": model, "fields": fields, "widgets": widgets, "formfield_callback": staticmethod(_formfield)},
    )
    return type(f"{model.__name__}Form", (forms.ModelForm,), {"Meta": meta})


BaselineForm = _form_for(SpecialtyBaseline, "baseline")
CPriceForm = _form_for(CPrice, "cprice")
RateForm = _form_for(ExchangeRate, "rate")
AdjustmentForm = _form_for(IncotermAdjustment, "adjustment")

FORMS: dict[str, type[forms.ModelForm]] = {
    "baseline": BaselineForm,
    "cprice": CPriceForm,
    "rate": RateForm,
    "adjustment": AdjustmentForm,
}


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, with a header row naming the columns"))
