"""Issue 13, Money, "Offline partial transfers": bank transfers accumulate, one append-only row
each; the order is paid once their total covers it; each receipt credits the producer's ledger
for its share; a transfer above what is still due is refused (the moderator records the amount
due and returns the excess). Through the moderator's payment page and the API."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from core.models import AppendOnlyError, Notification
from marketplace.negotiation.models import Order, OrderStatus
from marketplace.payments import services
from marketplace.payments.models import BankTransfer, Payment, PaymentStatus, PayoutEntry, SubjectKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(order: Any, roaster: Any) -> Payment:
    """The roaster's payment of the 3,000 USD order, by bank transfer (no Stripe key set)."""
    return services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)


def record(client: Any, payment: Payment, amount: str, reference: str = "") -> Any:
    return client.post(f"/payments/{payment.public_id}/received/", {"amount": amount, "reference": reference})


def credits(payment: Payment) -> list[Decimal]:
    return list(
        PayoutEntry.objects.filter(payment=payment, kind="credit").order_by("pk").values_list("amount", flat=True)
    )


def test_partial_transfers_accumulate_and_the_order_is_paid_when_they_cover_it(
    payment: Payment, order: Any, moderator_client: Any, producer_client: Any
) -> None:
    assert record(moderator_client, payment, "1000.00", "WIRE-1").status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid, payment.amount_due) == (
        PaymentStatus.PARTIALLY_PAID,
        Decimal("1000.00"),
        Decimal("2000.00"),
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
    page = moderator_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert re.search(r'id="line-due">2,000\.00 USD<', page)
    assert 'id="received-form"' in page  # the rest can still be recorded
    assert "2,000.00 USD still due" in moderator_client.get("/payments/").content.decode()

    # The second transfer adds to the first instead of replacing it.
    assert record(moderator_client, payment, "2000.00", "WIRE-2").status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid, payment.amount_due) == (
        PaymentStatus.PAID,
        Decimal("3000.00"),
        Decimal("0"),
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert list(BankTransfer.objects.filter(payment=payment).values_list("amount", "reference")) == [
        (Decimal("1000.00"), "WIRE-1"),
        (Decimal("2000.00"), "WIRE-2"),
    ]
    page = producer_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert "WIRE-1" in page and "WIRE-2" in page


def test_each_receipt_credits_the_producer_and_the_credits_add_up_to_their_share(
    payment: Payment, moderator_client: Any
) -> None:
    for amount, reference in (("1000.01", "A"), ("999.98", "B"), ("1000.01", "C")):
        assert record(moderator_client, payment, amount, reference).status_code == 302
        assert len(credits(payment)) == BankTransfer.objects.filter(payment=payment).count()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    shares = credits(payment)
    assert shares[0] == (payment.producer_amount * Decimal("1000.01") / payment.amount).quantize(Decimal("0.01"))
    assert sum(shares) == payment.producer_amount  # instalments never lose or invent a cent
    assert Notification.objects.filter(recipient_id=payment.payee_id, kind="payment.received").count() == 3


def test_a_transfer_above_what_is_still_due_is_refused_and_changes_nothing(
    payment: Payment, order: Any, moderator_client: Any
) -> None:
    record(moderator_client, payment, "1000.00", "WIRE-1")
    response = record(moderator_client, payment, "2500.00", "WIRE-2")
    assert response.status_code == 400
    assert "Only 2000.00 USD is still due" in response.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PARTIALLY_PAID, Decimal("1000.00"))
    assert BankTransfer.objects.filter(payment=payment).count() == 1
    assert len(credits(payment)) == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_a_fully_received_payment_takes_no_further_transfer(payment: Payment, moderator_client: Any) -> None:
    record(moderator_client, payment, "3000.00", "WIRE-1")
    response = record(moderator_client, payment, "1.00", "WIRE-9")
    assert response.status_code == 400
    assert "received in full" in response.content.decode()
    assert BankTransfer.objects.filter(payment=payment).count() == 1
    assert PayoutEntry.objects.filter(payment=payment).count() == 1


def test_the_same_bank_reference_submitted_twice_counts_once(payment: Payment, moderator_client: Any) -> None:
    record(moderator_client, payment, "1000.00", "WIRE-1")
    record(moderator_client, payment, "1000.00", "WIRE-1")  # a double click, or the back button
    payment.refresh_from_db()
    assert payment.amount_paid == Decimal("1000.00")
    assert BankTransfer.objects.filter(payment=payment).count() == 1
    assert len(credits(payment)) == 1


def test_the_api_records_instalments_and_without_an_amount_the_rest_due(
    api: Any, payment: Payment, order: Any, moderator: Any
) -> None:
    url = f"/api/v1/payments/{payment.public_id}/received/"
    part = api(moderator).post(url, {"amount": "500.00", "reference": "SWIFT-1"}, format="json")
    assert part.status_code == 200
    assert (part.json()["status"], part.json()["amount_paid"], part.json()["amount_due"]) == (
        "partially_paid",
        "500.00",
        "2500.00",
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
    too_much = api(moderator).post(url, {"amount": "2500.01"}, format="json")
    assert too_much.status_code == 400
    rest = api(moderator).post(url, {"reference": "SWIFT-2"}, format="json")
    assert rest.status_code == 200
    assert (rest.json()["status"], rest.json()["amount_paid"]) == ("paid", "3000.00")
    assert [t["amount"] for t in rest.json()["transfers"]] == ["500.00", "2500.00"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert sum(credits(payment)) == payment.producer_amount


def test_money_received_in_part_can_be_refunded_and_the_ledger_returns_to_zero(
    payment: Payment, moderator_client: Any
) -> None:
    record(moderator_client, payment, "1200.00", "WIRE-1")
    page = moderator_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert 'id="refund-form"' in page  # the buyer may cancel before paying the rest
    response = moderator_client.post(f"/payments/{payment.public_id}/refund/", {"amount": "1200.00"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, Decimal("1200.00"))
    assert sum(e.signed_amount for e in PayoutEntry.objects.filter(payment=payment)) == Decimal("0.00")


def test_recorded_transfers_cannot_be_edited_or_deleted(payment: Payment, moderator: Any) -> None:
    services.payment_mark_received(payment=payment, by=moderator, amount=Decimal("100.00"), reference="W")
    transfer = BankTransfer.objects.get(payment=payment)
    transfer.amount = Decimal("3000.00")
    with pytest.raises(AppendOnlyError):
        transfer.save()
    with pytest.raises(AppendOnlyError):
        transfer.delete()
