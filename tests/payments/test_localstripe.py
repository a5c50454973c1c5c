"""Against localstripe (a fake Stripe server on 127.0.0.1): a payment created and confirmed, a
declined card, a partial refund, and webhook delivery from the server to the live site."""

from __future__ import annotations

import contextlib
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

import pytest

from marketplace.negotiation.models import Order, OrderStatus
from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, PayoutEntry, ProcessedEvent, SubjectKind
from tests.payments.conftest import WEBHOOK_SECRET, make_order


@pytest.mark.django_db
def test_a_card_payment_is_created_confirmed_and_recorded(stripe_on: str, sample: Any, roaster: Any) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    assert payment.provider == "stripe"
    payment, result = services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_visa")
    assert result.status == "succeeded"
    assert result.intent_id.startswith("pi_")
    assert payment.status == PaymentStatus.PAID
    assert payment.amount_paid == Decimal("25.00")
    attempt = PaymentAttempt.objects.get(payment=payment)
    assert attempt.idempotency_key == f"sample-{sample.pk}-sample_fee-attempt-1"
    assert attempt.intent_id == result.intent_id
    # The return page asks Stripe again and records nothing twice.
    again = services.payment_sync(payment=payment, by=roaster, intent_id=result.intent_id)
    assert again.amount_paid == Decimal("25.00")
    assert PayoutEntry.objects.filter(payment=payment).count() == 1


@pytest.mark.django_db
def test_a_declined_card_fails_and_a_second_attempt_gets_a_new_key(stripe_on: str, order: Any, roaster: Any) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_chargeCustomerFail")
    assert "declined" in str(info.value).lower()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
    payment, _result = services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_visa")
    assert payment.status == PaymentStatus.PAID
    keys = list(PaymentAttempt.objects.filter(payment=payment).values_list("idempotency_key", "status"))
    assert keys == [
        (f"order-{order.pk}-full-attempt-1", "failed"),
        (f"order-{order.pk}-full-attempt-2", "succeeded"),
    ]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


@pytest.mark.django_db
def test_a_partial_refund_reaches_stripe_and_the_books(
    stripe_on: str, sample: Any, roaster: Any, moderator: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    payment, result = services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_visa")
    refund = services.refund_create(payment=payment, by=moderator, amount=Decimal("10.00"), reason="late sample")
    assert refund.status == "succeeded"
    assert refund.provider_refund_id.startswith("re_")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("10.00"))
    # localstripe's own record agrees.
    from marketplace.payments.providers import get_provider

    assert get_provider("stripe").retrieve_intent(intent_id=result.intent_id).amount_refunded == Decimal("10.00")


def _register_webhook(base: str, url: str) -> None:
    data = urllib.parse.urlencode({"url": url, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base}/_config/webhooks/payments-tests", data=data), timeout=5)  # noqa: S310


def _unregister_webhook(base: str) -> None:
    request = urllib.request.Request(f"{base}/_config/webhooks/payments-tests", method="DELETE")  # noqa: S310
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=5)  # noqa: S310  (our own localstripe URL)


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_a_signed_webhook_that_the_site_applies(
    stripe_on: str, live_server: Any, roaster: Any, lot: Any
) -> None:
    order = make_order(lot, roaster, source_id=77)
    _register_webhook(stripe_on, f"{live_server.url}/hooks/stripe/")
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    services.payment_attempt_start(payment=payment, by=roaster, payment_method="pm_card_visa")
    applied = ProcessedEvent.objects.filter(type="payment_intent.succeeded", outcome="applied")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not applied.exists():
        time.sleep(0.2)
    _unregister_webhook(stripe_on)
    # The checkout already recorded the payment; the webhook found it ours, and done.
    assert applied.count() == 1
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.PAID
    assert PayoutEntry.objects.filter(payment=payment).count() == 1


@pytest.mark.django_db
def test_a_card_needing_3d_secure_waits_then_the_return_page_records_it(
    stripe_on: str, sample: Any, roaster: Any
) -> None:
    from marketplace.payments.providers import get_provider

    client = get_provider("stripe").client  # type: ignore[attr-defined]
    card = {"number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    method = client.v1.payment_methods.create(params={"type": "card", "card": card})
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    payment, result = services.payment_attempt_start(payment=payment, by=roaster, payment_method=method.id)
    assert result.status == "requires_action"
    assert result.client_secret
    assert payment.status == PaymentStatus.PENDING
    # What Stripe.js's handleNextAction does in the browser: the buyer passes the bank's check.
    data = urllib.parse.urlencode(
        {"key": "pk_test_localstripe", "client_secret": result.client_secret, "success": "true"}
    ).encode()
    url = f"{stripe_on}/v1/payment_intents/{result.intent_id}/_authenticate"
    urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5)  # noqa: S310
    payment = services.payment_sync(payment=payment, by=roaster, intent_id=result.intent_id)
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PAID, Decimal("25.00"))


@pytest.mark.django_db
def test_api_pay_with_an_idempotency_key_charges_once(
    stripe_on: str, api: Any, sample: Any, roaster: Any, outsider: Any
) -> None:
    opened = api(roaster).post(
        "/api/v1/payments/",
        {"subject_kind": "sample", "subject_id": sample.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="o-1",
    )
    url = f"/api/v1/payments/{opened.json()['id']}/confirm/"
    assert api(outsider).post(url, {"payment_method": "pm_card_visa"}, format="json").status_code == 404
    first = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    second = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == "succeeded"
    assert second["Idempotent-Replayed"] == "true"
    payment = Payment.objects.get()
    assert (payment.attempts, payment.status) == (1, PaymentStatus.PAID)
    again = api(roaster).post(url, {"payment_method": "pm_card_visa"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-2")
    assert again.status_code == 409
