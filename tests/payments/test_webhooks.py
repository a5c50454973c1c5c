"""Signed webhook payloads: each handled event type, replays, out-of-order delivery and every
way a signature can be wrong (which must change nothing)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from core.models import AuditEvent
from marketplace.negotiation.models import OrderStatus
from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, PayoutEntry, ProcessedEvent, SubjectKind
from marketplace.payments.providers import intent_from_payload
from tests.payments.conftest import event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(stripe_fake: None, order: Any, roaster: Any) -> Payment:
    """An order payment with one attempt whose intent is pi_test_1 (as if checkout had run)."""
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    PaymentAttempt.objects.create(payment=payment, number=1, idempotency_key="k-1", intent_id="pi_test_1")
    Payment.objects.filter(pk=payment.pk).update(attempts=1, status=PaymentStatus.PENDING, intent_id="pi_test_1")
    payment.refresh_from_db()
    return payment


def intent(status: str = "succeeded", amount: int = 300000, error: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "pi_test_1",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "usd",
        "status": status,
        "metadata": {},
    }
    if error:
        obj["last_payment_error"] = {"message": error}
    return obj


def charge(refunded: int, captured: int = 300000) -> dict[str, Any]:
    return {
        "id": "ch_test_1",
        "object": "charge",
        "payment_intent": "pi_test_1",
        "amount": captured,
        "amount_captured": captured,
        "amount_refunded": refunded,
        "currency": "usd",
        "paid": True,
        "refunded": refunded >= captured,
    }


def state(payment: Payment) -> tuple[str, Decimal, Decimal, int]:
    payment.refresh_from_db()
    return (payment.status, payment.amount_paid, payment.amount_refunded, payment.payout_entries.count())


def test_succeeded_marks_paid_credits_the_producer_and_pays_the_order(payment: Payment, post_hook: Any) -> None:
    response = post_hook(event("payment_intent.succeeded", intent()))
    assert response.status_code == 200
    assert response.json()["status"] == "applied"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.amount_paid == Decimal("3000.00")
    credit = PayoutEntry.objects.get(payment=payment)
    assert credit.amount == payment.producer_amount
    from marketplace.negotiation.models import Order

    assert Order.objects.get(pk=payment.subject_id).status == OrderStatus.PAID
    assert AuditEvent.objects.filter(action="payment.paid", target_id=str(payment.pk)).count() == 1


def test_payment_failed_marks_failed_with_the_reason(payment: Payment, post_hook: Any) -> None:
    post_hook(
        event("payment_intent.payment_failed", intent("requires_payment_method", error="Your card was declined."))
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert "declined" in payment.failure_message
    assert not PayoutEntry.objects.exists()


def test_canceled_marks_the_attempt_canceled(payment: Payment, post_hook: Any) -> None:
    post_hook(event("payment_intent.canceled", intent("canceled")))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.attempt_rows.get().status == PaymentAttempt.Status.CANCELED


def test_charge_refunded_records_a_partial_refund_and_debits_the_ledger(payment: Payment, post_hook: Any) -> None:
    post_hook(event("payment_intent.succeeded", intent()))
    post_hook(event("charge.refunded", charge(refunded=50000)))
    status, paid, refunded, _entries = state(payment)
    assert (status, paid, refunded) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("3000.00"), Decimal("500.00"))
    debit = PayoutEntry.objects.get(payment=payment, kind="debit")
    assert debit.amount == (Decimal("500.00") * payment.producer_amount / payment.amount).quantize(Decimal("0.01"))
    post_hook(event("charge.refunded", charge(refunded=300000)))
    assert state(payment)[0] == PaymentStatus.REFUNDED


def test_the_same_event_delivered_three_times_is_applied_once(payment: Payment, post_hook: Any) -> None:
    body = event("payment_intent.succeeded", intent(), event_id="evt_replayed")
    answers = [post_hook(body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["status"] for a in answers] == ["applied", "duplicate", "duplicate"]
    assert ProcessedEvent.objects.filter(event_id="evt_replayed").count() == 1
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
    assert AuditEvent.objects.filter(action="payment.paid", target_id=str(payment.pk)).count() == 1


def test_the_same_fact_under_new_event_ids_is_still_recorded_once(payment: Payment, post_hook: Any) -> None:
    for _ in range(3):
        post_hook(event("payment_intent.succeeded", intent()))
    assert state(payment) == (PaymentStatus.PAID, Decimal("3000.00"), Decimal("0"), 1)


@pytest.mark.parametrize(
    "order_of_events",
    [
        ["succeeded", "failed", "refunded"],
        ["failed", "succeeded", "refunded"],
        ["refunded", "succeeded", "failed"],
        ["refunded", "failed", "succeeded"],
        ["failed", "refunded", "succeeded", "succeeded", "refunded"],
    ],
)
def test_out_of_order_events_end_in_the_same_state(
    payment: Payment, post_hook: Any, order_of_events: list[str]
) -> None:
    bodies = {
        "succeeded": lambda: event("payment_intent.succeeded", intent()),
        "failed": lambda: event("payment_intent.payment_failed", intent("requires_payment_method", error="declined")),
        "refunded": lambda: event("charge.refunded", charge(refunded=100000)),
    }
    for name in order_of_events:
        assert post_hook(bodies[name]()).status_code == 200
    assert state(payment) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("3000.00"), Decimal("1000.00"), 2)


def _assert_nothing_changed(payment: Payment) -> None:
    assert state(payment) == (PaymentStatus.PENDING, Decimal("0"), Decimal("0"), 0)
    assert not ProcessedEvent.objects.exists()


def test_a_tampered_body_is_refused_and_changes_nothing(payment: Payment, post_hook: Any) -> None:
    body = event("payment_intent.succeeded", intent(amount=100))
    signature = sign(body)
    tampered = body.replace(b'"amount": 100,', b'"amount": 300000,')
    assert tampered != body
    assert post_hook(tampered, signature).status_code == 400
    _assert_nothing_changed(payment)


def test_a_wrong_secret_is_refused(payment: Payment, post_hook: Any) -> None:
    body = event("payment_intent.succeeded", intent())
    assert post_hook(body, sign(body, secret="whsec_someone_else")).status_code == 400
    _assert_nothing_changed(payment)


def test_a_stale_timestamp_is_refused(payment: Payment, post_hook: Any) -> None:
    body = event("payment_intent.succeeded", intent())
    assert post_hook(body, sign(body, t=int(time.time()) - 600)).status_code == 400
    _assert_nothing_changed(payment)


def test_a_missing_signature_is_refused(payment: Payment, client: Any) -> None:
    body = event("payment_intent.succeeded", intent())
    assert client.post("/hooks/stripe/", data=body, content_type="application/json").status_code == 400
    _assert_nothing_changed(payment)


def test_a_rotated_secret_with_one_matching_signature_passes(payment: Payment, post_hook: Any) -> None:
    body = event("payment_intent.succeeded", intent())
    good, bad = sign(body), sign(body, secret="whsec_old")
    both = f"{good},v1={bad.split('v1=')[1]}"
    assert post_hook(body, both).status_code == 200


def test_an_unknown_intent_or_type_is_acknowledged_and_ignored(payment: Payment, post_hook: Any) -> None:
    other = {**intent(), "id": "pi_not_ours"}
    assert post_hook(event("payment_intent.succeeded", other)).json()["status"] == "not-ours"
    assert post_hook(event("customer.created", {"id": "cus_1"})).json()["status"] == "ignored"
    assert state(payment)[0] == PaymentStatus.PENDING


def test_a_failure_for_an_old_attempt_does_not_undo_a_later_success(payment: Payment, post_hook: Any) -> None:
    # Attempt 1 ended (declined at checkout) before attempt 2 could start: one live attempt at a time.
    PaymentAttempt.objects.filter(payment=payment, number=1).update(status=PaymentAttempt.Status.FAILED)
    PaymentAttempt.objects.create(payment=payment, number=2, idempotency_key="k-2", intent_id="pi_test_2")
    Payment.objects.filter(pk=payment.pk).update(attempts=2)
    post_hook(event("payment_intent.succeeded", {**intent(), "id": "pi_test_2"}))
    post_hook(event("payment_intent.payment_failed", intent("requires_payment_method", error="declined")))
    assert state(payment)[:2] == (PaymentStatus.PAID, Decimal("3000.00"))


def test_get_is_not_allowed(client: Any) -> None:
    assert client.get("/hooks/stripe/").status_code == 405


def test_a_second_successful_charge_is_flagged_for_a_refund_not_counted(payment: Payment, post_hook: Any) -> None:
    # Attempt 1 was recorded as failed, yet Stripe later reports that it charged after all.
    PaymentAttempt.objects.filter(payment=payment, number=1).update(status=PaymentAttempt.Status.FAILED)
    PaymentAttempt.objects.create(payment=payment, number=2, idempotency_key="k-2", intent_id="pi_test_2")
    Payment.objects.filter(pk=payment.pk).update(attempts=2)
    post_hook(event("payment_intent.succeeded", intent()))
    post_hook(event("payment_intent.succeeded", {**intent(), "id": "pi_test_2"}))
    assert state(payment) == (PaymentStatus.PAID, Decimal("3000.00"), Decimal("0"), 1)
    flagged = AuditEvent.objects.get(action="payment.duplicate_charge", target_id=str(payment.pk))
    assert flagged.data["intent"] == "pi_test_2"


def test_a_processing_charge_is_handed_back_to_a_second_request_instead_of_charging_again(
    payment: Payment, roaster: Any
) -> None:
    post_processing = {**intent("processing")}
    services.payment_apply_intent(result=intent_from_payload(post_processing), source="test")
    assert payment.attempt_rows.get().status == PaymentAttempt.Status.PROCESSING
    # Stripe cannot be reached here (stripe_fake): the stored state of the live attempt answers.
    again, result = services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_visa")
    assert (result.status, result.intent_id, again.attempts) == ("processing", "pi_test_1", 1)
    assert payment.attempt_rows.count() == 1


def test_without_a_webhook_secret_every_event_is_refused(payment: Payment, post_hook: Any, settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post_hook(event("payment_intent.succeeded", intent())).status_code == 400
    _assert_nothing_changed(payment)


def test_the_producer_is_notified_once_however_often_the_event_comes(payment: Payment, post_hook: Any) -> None:
    from core.models import Notification

    for _ in range(3):
        post_hook(event("payment_intent.succeeded", intent()))
    assert Notification.objects.filter(recipient_id=payment.payee_id, kind="payment.received").count() == 1
