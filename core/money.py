"""Money and weight arithmetic: Decimal only, with an explicit currency and unit.

Prices are stored per kg or per lb as the seller states them, and shown in both. Totals are
quantized in one place (``quantize_money``) with one rounding mode; Stripe's integer minor units
are made only by ``to_minor_units``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

KG_PER_LB = Decimal("0.45359237")  # exact, by definition
LB_PER_KG = Decimal(1) / KG_PER_LB
PRICE_PLACES = Decimal("0.0001")  # prices per unit keep four places
ROUNDING = ROUND_HALF_UP


class Currency(models.TextChoices):
    USD = "USD", "USD"
    EUR = "EUR", "EUR"
    GBP = "GBP", "GBP"
    CHF = "CHF", "CHF"
    JPY = "JPY", "JPY"
    AUD = "AUD", "AUD"
    CAD = "CAD", "CAD"
    BRL = "BRL", "BRL"
    COP = "COP", "COP"
    MXN = "MXN", "MXN"
    PEN = "PEN", "PEN"
    CRC = "CRC", "CRC"
    ETB = "ETB", "ETB"
    KES = "KES", "KES"


# ISO 4217 minor-unit exponents that differ from 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "BIF": 0, "RWF": 0, "UGX": 0}


class PriceUnit(models.TextChoices):
    KG = "kg", _("per kg")
    LB = "lb", _("per lb")


class Incoterm(models.TextChoices):
    FOB = "FOB", "FOB"
    FCA = "FCA", "FCA"
    EXW = "EXW", "EXW"
    CIF = "CIF", "CIF"
    CFR = "CFR", "CFR"
    DAP = "DAP", "DAP"
    DDP = "DDP", "DDP"


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """Round a total to the currency's minor unit (half up)."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUNDING)


def quantize_price(amount: Decimal) -> Decimal:
    return amount.quantize(PRICE_PLACES, rounding=ROUNDING)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal amount to Stripe's integer minor units, without passing through float."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    scaled = quantize_money(amount, currency).scaleb(exponent(currency))
    return int(scaled.to_integral_exact())


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-exponent(currency))


def per_kg(amount: Decimal, unit: str) -> Decimal:
    """A price stated per ``unit`` expressed per kg (unrounded)."""
    if unit == PriceUnit.KG:
        return amount
    if unit == PriceUnit.LB:
        return amount / KG_PER_LB
    raise ValueError(f"unknown price unit {unit!r}")


def per_lb(amount: Decimal, unit: str) -> Decimal:
    """A price stated per ``unit`` expressed per lb (unrounded)."""
    if unit == PriceUnit.LB:
        return amount
    if unit == PriceUnit.KG:
        return amount * KG_PER_LB
    raise ValueError(f"unknown price unit {unit!r}")


def kg_to_lb(kg: Decimal) -> Decimal:
    return kg / KG_PER_LB
