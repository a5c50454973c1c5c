"""Amounts: Decimal to minor units per currency, the fee line and the deposit split."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.money import to_minor_units
from marketplace.payments import payables, providers
from marketplace.payments.models import LotPaymentTerms, PaymentKind, PaymentMode


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("3000.00"), "USD", 300000),
        (Decimal("0.29"), "USD", 29),  # 0.29 * 100 as a float is 28.999999999999996
        (Decimal("19.99"), "EUR", 1999),
        (Decimal("1234"), "JPY", 1234),  # zero-decimal currency
        (Decimal("10.005"), "USD", 1001),  # half up, in one place
    ],
)
def test_amounts_become_minor_units_without_float(amount: Decimal, currency: str, minor: int) -> None:
    assert to_minor_units(amount, currency) == minor


def test_a_float_is_refused_at_the_stripe_boundary() -> None:
    with pytest.raises(TypeError):
        to_minor_units(0.29, "USD")  # type: ignore[arg-type]


def test_intent_payload_reads_minor_units_per_currency() -> None:
    usd = providers.intent_from_payload({"id": "pi_1", "amount": 2500, "currency": "usd", "status": "succeeded"})
    jpy = providers.intent_from_payload({"id": "pi_2", "amount": 2500, "currency": "jpy", "status": "succeeded"})
    assert usd.amount_received == Decimal("25.00")
    assert jpy.amount_received == Decimal("2500")


@pytest.mark.django_db
def test_full_payment_carries_the_contract_fee_line(order: Any) -> None:
    due = payables.order_due(order)
    assert due.kind == PaymentKind.FULL
    assert due.amount == order.total
    assert due.fee_amount == order.marketplace_fee
    assert due.producer_amount == order.producer_receives


@pytest.mark.django_db
def test_deposit_and_balance_add_up_to_the_contract(order: Any, settings: Any) -> None:
    LotPaymentTerms.objects.create(lot=order.lot, mode=PaymentMode.DEPOSIT)
    deposit = payables.order_due(order)
    balance = payables.order_due(order, PaymentKind.BALANCE)
    assert deposit.kind == PaymentKind.DEPOSIT
    assert deposit.amount == Decimal("900.00")  # 30 % of 3,000
    assert deposit.amount + balance.amount == order.total
    assert deposit.fee_amount + balance.fee_amount == order.marketplace_fee
    assert deposit.producer_amount + balance.producer_amount == order.producer_receives


def test_offline_provider_references_are_stable_per_key() -> None:
    p = providers.OfflineProvider()
    args: dict[str, Any] = {
        "amount": Decimal("5"),
        "currency": "USD",
        "metadata": {},
        "payment_method": None,
        "description": "",
    }
    assert (
        p.create_intent(idempotency_key="k-1", **args).intent_id
        == p.create_intent(idempotency_key="k-1", **args).intent_id
    )
