"""PostgreSQL: the webhook and the return page confirm the same payment at the same moment;
the payment, the ledger credit, the audit event and the order move are recorded once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from core.models import AuditEvent
from marketplace.negotiation.models import Order, OrderEvent, OrderStatus
from marketplace.payments import providers, services
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, PayoutEntry, SubjectKind
from tests.payments.conftest import make_order

pytestmark = [pytest.mark.postgres]


def run_concurrently(fns: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    barrier = threading.Barrier(len(fns))
    results: list[tuple[str, Any]] = [("none", None)] * len(fns)

    def worker(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:  # reported to the test
            results[i] = ("err", repr(exc))
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_webhook_and_return_page_confirm_together_and_it_is_recorded_once(
    require_postgres: None, stripe_on: str, lot: Any, roaster: Any, round_: int
) -> None:
    order = make_order(lot, roaster, source_id=100 + round_)
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    # Charge the card at Stripe (localstripe) but record nothing yet, as if the browser were
    # still on its way to the return page when the webhook arrived.
    PaymentAttempt.objects.create(payment=payment, number=1, idempotency_key=f"race-{round_}")
    Payment.objects.filter(pk=payment.pk).update(attempts=1, status=PaymentStatus.PENDING)
    intent = providers.get_provider("stripe").create_intent(
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=f"race-{round_}",
        metadata={"payment": str(payment.public_id), "attempt": "1"},
        payment_method="pm_card_visa",
        description="",
    )
    assert intent.status == "succeeded"
    payload = {
        "id": intent.intent_id,
        "amount": 300000,
        "amount_received": 300000,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"payment": str(payment.public_id), "attempt": "1"},
    }

    def webhook(n: int) -> Callable[[], Any]:
        return lambda: services.webhook_process(
            event={"id": f"evt_race_{round_}_{n}", "type": "payment_intent.succeeded", "data": {"object": payload}}
        )

    def return_page() -> Any:
        return services.payment_sync(payment=Payment.objects.get(pk=payment.pk), by=roaster, intent_id=intent.intent_id)

    results = run_concurrently([webhook(1), return_page, webhook(2), return_page])
    assert [r[0] for r in results] == ["ok"] * 4, results

    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PAID, Decimal("3000.00"))
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
    assert AuditEvent.objects.filter(action="payment.paid", target_id=str(payment.pk)).count() == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert OrderEvent.objects.filter(order_id=order.pk, action="paid").count() == 1
    assert PaymentAttempt.objects.get(payment=payment).intent_id == intent.intent_id


@pytest.mark.django_db(transaction=True)
def test_two_moderators_refunding_at_once_cannot_exceed_the_paid_amount(
    require_postgres: None, lot: Any, roaster: Any, moderator: Any
) -> None:
    from tests.factories import ModeratorFactory

    second = ModeratorFactory(email="mod2@example.test")
    order = make_order(lot, roaster, source_id=200)
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    services.payment_mark_received(payment=payment, by=moderator)
    results = run_concurrently(
        [
            lambda: services.refund_create(payment=payment, by=moderator, amount=Decimal("2000.00")),
            lambda: services.refund_create(payment=payment, by=second, amount=Decimal("2000.00")),
        ]
    )
    assert sorted(r[0] for r in results) == ["err", "ok"]
    assert "ValidationError" in next(r[1] for r in results if r[0] == "err")
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("2000.00")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_requests_paying_the_same_order_at_once_charge_the_card_once(
    require_postgres: None, stripe_on: str, lot: Any, roaster: Any, monkeypatch: Any, round_: int
) -> None:
    """Issue 13, Money, "Double charges": two tabs (or a retried API call without an
    Idempotency-Key) open and pay the same order at the same moment: one attempt, one
    PaymentIntent at Stripe, and both callers get that attempt."""
    from rest_framework.test import APIClient

    from marketplace.payments.providers import StripeProvider
    from tests.payments.conftest import intents_at_stripe

    order = make_order(lot, roaster, source_id=300 + round_)
    creates: list[str] = []
    answered = threading.Event()
    real_create = StripeProvider.create_intent

    def create_in_flight(self: Any, **kwargs: Any) -> Any:
        creates.append(kwargs["idempotency_key"])
        # The charge stays "in flight at Stripe" until the other request has had its answer
        # (or 10 s pass), so the second request always arrives while the first is live.
        answered.wait(timeout=10)
        return real_create(self, **kwargs)

    monkeypatch.setattr(StripeProvider, "create_intent", create_in_flight)

    def pay() -> tuple[int, Any]:
        client = APIClient()
        client.force_authenticate(roaster)
        try:
            opened = client.post("/api/v1/payments/", {"subject_kind": "order", "subject_id": order.pk}, format="json")
            assert opened.status_code == 201, opened.content
            paid = client.post(
                f"/api/v1/payments/{opened.json()['id']}/confirm/", {"payment_method": "pm_card_visa"}, format="json"
            )
            return paid.status_code, paid.json()
        finally:
            answered.set()

    results = run_concurrently([pay, pay])
    assert [r[0] for r in results] == ["ok", "ok"], results
    (code_a, a), (code_b, b) = (r[1] for r in results)
    assert code_a == code_b == 200
    payment = Payment.objects.get(subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    assert len(creates) == 1
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    assert len(intents_at_stripe(payment)) == 1
    assert a["payment"]["id"] == b["payment"]["id"] == str(payment.public_id)
    assert a["attempt"] == b["attempt"] == 1
    assert sorted([a["status"], b["status"]]) == ["processing", "succeeded"]
    assert (payment.status, payment.amount_paid, payment.attempts) == (PaymentStatus.PAID, Decimal("3000.00"), 1)
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
