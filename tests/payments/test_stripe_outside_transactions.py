"""Issue 13, Money, "Stripe inside a transaction": the attempt is saved and committed, then
Stripe is called with no transaction open, then the answer is recorded; an Idempotency-Key
still replays the stored response. An attempt left without a Stripe id (the process died
between the commit and Stripe's answer) is found and settled by the reconcile task.

Every test in this directory also runs under ``stripe_is_never_called_inside_a_transaction``
(conftest.py), which fails any Stripe call made while a transaction is open.
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent, IdempotencyRecord
from marketplace.negotiation.models import Order, OrderStatus
from marketplace.payments import providers, services, tasks
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, PayoutEntry, Refund, SubjectKind
from marketplace.payments.providers import ProviderError, StripeProvider
from tests.payments.conftest import event, intents_at_stripe, make_order, sign


class ProcessDied(BaseException):
    """Stands in for the web process being killed: nothing after it runs, no handler catches it."""


def deliver_webhook(body: bytes) -> dict[str, Any]:
    """Post a signed webhook from another thread (its own database connection), as Stripe would."""
    out: dict[str, Any] = {}

    def post() -> None:
        try:
            response = Client().post(
                "/hooks/stripe/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
            )
            out["status"] = response.json()["status"]
        finally:
            connection.close()

    thread = threading.Thread(target=post)
    thread.start()
    thread.join(30)
    return out


@pytest.mark.django_db(transaction=True)
def test_a_webhook_arriving_while_stripe_charges_finds_the_attempt_and_the_key_replays(
    stripe_on: str, api: Any, lot: Any, roaster: Any, monkeypatch: Any
) -> None:
    order = make_order(lot, roaster, source_id=600)
    opened = api(roaster).post("/api/v1/payments/", {"subject_kind": "order", "subject_id": order.pk}, format="json")
    url = f"/api/v1/payments/{opened.json()['id']}/confirm/"
    real_create = StripeProvider.create_intent
    hook: dict[str, Any] = {}

    def charge_then_webhook(self: Any, **kwargs: Any) -> Any:
        result = real_create(self, **kwargs)
        # Stripe has charged the card and sends its webhook before our request has its answer.
        payload = {
            "id": result.intent_id,
            "object": "payment_intent",
            "amount": 300000,
            "amount_received": 300000,
            "currency": "usd",
            "status": "succeeded",
            "metadata": kwargs["metadata"],
        }
        hook.update(deliver_webhook(event("payment_intent.succeeded", payload)))
        return result

    monkeypatch.setattr(StripeProvider, "create_intent", charge_then_webhook)
    first = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == 200, first.content
    assert hook == {"status": "applied"}  # the attempt was committed before Stripe was called
    assert first.json()["status"] == "succeeded"

    replay = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (200, "true")
    assert replay.json() == first.json()
    payment = Payment.objects.get(pk=Payment.objects.get(public_id=opened.json()["id"]).pk)
    assert (payment.status, payment.amount_paid, payment.attempts) == (PaymentStatus.PAID, Decimal("3000.00"), 1)
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
    assert len(intents_at_stripe(payment)) == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


@pytest.mark.django_db
def test_a_declined_card_with_an_idempotency_key_is_not_remembered_and_the_key_can_be_retried(
    stripe_on: str, api: Any, sample: Any, roaster: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    url = f"/api/v1/payments/{payment.public_id}/confirm/"
    declined = api(roaster).post(
        url, {"payment_method": "pm_card_chargeCustomerFail"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert declined.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="k").exists()
    declined_again = api(roaster).post(url, {"payment_method": "pm_card_chargeCustomerFail"}, format="json")
    assert declined_again.status_code == 400
    ok = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert ok.status_code == 200 and ok.json()["status"] == "succeeded"
    assert IdempotencyRecord.objects.get(key="k2").status_code == 200


@pytest.mark.django_db
def test_a_refund_through_the_api_calls_stripe_outside_a_transaction_and_replays_its_key(
    stripe_on: str, api: Any, sample: Any, roaster: Any, moderator: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    payment, result = services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_visa")
    url = f"/api/v1/payments/{payment.public_id}/refunds/"
    first = api(moderator).post(url, {"amount": "10.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = api(moderator).post(url, {"amount": "10.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert again.json() == first.json()
    assert Refund.objects.filter(payment=payment).count() == 1
    assert providers.get_provider("stripe").retrieve_intent(intent_id=result.intent_id).amount_refunded == Decimal(
        "10.00"
    )


# --- An attempt that never got its Stripe id ---------------------------------------------------


def _crash(monkeypatch: Any, *, after_stripe: bool) -> list[str]:
    """The web process dies in ``create_intent``: after Stripe charged, or before it was asked."""
    real_create = StripeProvider.create_intent
    created: list[str] = []

    def create_then_die(self: Any, **kwargs: Any) -> Any:
        if after_stripe:
            created.append(real_create(self, **kwargs).intent_id)
        raise ProcessDied

    monkeypatch.setattr(StripeProvider, "create_intent", create_then_die)
    return created


def _as_if_long_ago(payment: Payment) -> None:
    """The reconcile task leaves a fresh attempt alone: its create call may still be on the way."""
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    PaymentAttempt.objects.filter(payment=payment).update(created_at=an_hour_ago)
    Payment.objects.filter(pk=payment.pk).update(updated_at=an_hour_ago)


@pytest.mark.django_db
def test_an_attempt_that_never_got_its_stripe_id_is_found_by_reconcile_and_settled_once(
    stripe_on: str, api: Any, order: Any, roaster: Any, monkeypatch: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    created = _crash(monkeypatch, after_stripe=True)
    with pytest.raises(ProcessDied):
        api(roaster).post(
            f"/api/v1/payments/{payment.public_id}/confirm/", {"payment_method": "pm_card_visa"}, format="json"
        )
    monkeypatch.undo()
    attempt = PaymentAttempt.objects.get(payment=payment)
    assert (attempt.status, attempt.intent_id) == ("started", None)  # committed before Stripe was called
    assert len(created) == 1  # and Stripe charged the card

    # Too fresh: its answer may still arrive. Later, the sweep picks it and reconcile settles it.
    assert tasks.payment_reconcile(payment.pk) == PaymentStatus.PENDING
    _as_if_long_ago(payment)
    queued: list[int] = []
    monkeypatch.setattr(tasks.payment_reconcile, "delay", lambda pk: queued.append(pk))
    assert tasks.payments_reconcile_sweep() == 1 and queued == [payment.pk]
    assert tasks.payment_reconcile(payment.pk) == PaymentStatus.PAID

    attempt.refresh_from_db()
    assert (attempt.status, attempt.intent_id) == ("succeeded", created[0])
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid, payment.intent_id) == (
        PaymentStatus.PAID,
        Decimal("3000.00"),
        created[0],
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    # A second run (acks_late may deliver it twice) changes nothing.
    assert tasks.payment_reconcile(payment.pk) == "already-done"
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
    assert AuditEvent.objects.filter(action="payment.paid", target_id=str(payment.pk)).count() == 1
    assert len(intents_at_stripe(payment)) == 1


@pytest.mark.django_db
def test_an_attempt_that_never_reached_stripe_is_ended_by_reconcile_and_the_buyer_pays_again(
    stripe_on: str, order: Any, roaster: Any, roaster_client: Any, monkeypatch: Any
) -> None:
    import json

    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    _crash(monkeypatch, after_stripe=False)
    confirm = f"/payments/{payment.public_id}/confirm/"
    with pytest.raises(ProcessDied):
        roaster_client.post(confirm, json.dumps({"payment_method": "pm_card_visa"}), content_type="application/json")
    monkeypatch.undo()
    # Until it is settled, a new try gets the live attempt back: it might yet have charged.
    pending = roaster_client.post(
        confirm, json.dumps({"payment_method": "pm_card_visa"}), content_type="application/json"
    )
    assert (pending.json()["status"], pending.json()["attempt"]) == ("processing", 1)
    assert intents_at_stripe(payment) == []

    _as_if_long_ago(payment)
    assert tasks.payment_reconcile(payment.pk) == PaymentStatus.FAILED
    assert tasks.payment_reconcile(payment.pk) == PaymentStatus.FAILED  # twice is harmless
    attempt = PaymentAttempt.objects.get(payment=payment)
    assert (attempt.status, attempt.intent_id) == ("canceled", None)
    assert "nothing was charged" in roaster_client.get(f"/payments/{payment.public_id}/pay/").content.decode()

    paid = roaster_client.post(confirm, json.dumps({"payment_method": "pm_card_visa"}), content_type="application/json")
    assert (paid.json()["status"], paid.json()["attempt"]) == ("succeeded", 2)
    assert len(intents_at_stripe(payment)) == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


@pytest.mark.django_db
def test_when_stripe_does_not_answer_the_attempt_stays_live_until_reconcile_knows(
    stripe_on: str, api: Any, order: Any, roaster: Any, monkeypatch: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    real_create = StripeProvider.create_intent

    def answer_lost(self: Any, **kwargs: Any) -> Any:
        real_create(self, **kwargs)  # Stripe charged; the connection broke before its answer came back
        raise ProviderError("The payment service did not answer.", uncertain=True)

    monkeypatch.setattr(StripeProvider, "create_intent", answer_lost)
    url = f"/api/v1/payments/{payment.public_id}/confirm/"
    first = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json")
    monkeypatch.undo()
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["error"]) == ("processing", "The payment service did not answer.")
    retry = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json")
    assert (retry.json()["status"], retry.json()["attempt"]) == ("processing", 1)
    assert len(intents_at_stripe(payment)) == 1  # the retry charged nothing

    _as_if_long_ago(payment)
    assert tasks.payment_reconcile(payment.pk) == PaymentStatus.PAID
    assert PayoutEntry.objects.filter(payment=payment).count() == 1


def test_a_network_failure_at_stripe_counts_as_an_unknown_outcome_not_a_decline() -> None:
    provider = StripeProvider("sk_test_unused", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(ProviderError) as info:
        provider.create_intent(
            amount=Decimal("1.00"),
            currency="USD",
            idempotency_key="k",
            metadata={},
            payment_method="pm_card_visa",
            description="",
        )
    assert info.value.uncertain and not info.value.declined
