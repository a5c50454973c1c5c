from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.payments.models import PaymentMode


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount to refund"), min_value=0, max_digits=16, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ReceivedForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), min_value=0, max_digits=16, decimal_places=2)
    reference = forms.CharField(label=_("Bank reference"), max_length=200, required=False)


class LotTermsForm(forms.Form):
    mode = forms.ChoiceField(label=_("Payment for orders"), choices=PaymentMode.choices)


class OpenForm(forms.Form):
    subject_kind = forms.ChoiceField(choices=[("order", "order"), ("sample", "sample")])
    subject_id = forms.IntegerField(min_value=1)
    kind = forms.CharField(required=False, max_length=12)
