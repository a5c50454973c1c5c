"""Issue 13, Money, "Double charges": at most one attempt per payment is live, and a second
request while it is (another tab, a retried call without an Idempotency-Key) gets that attempt
back instead of charging the card again. Against localstripe, through the pages and the API.
(The threaded PostgreSQL race is in test_concurrency.py.)"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from marketplace.payments import providers, services
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, SubjectKind
from tests.payments.conftest import intents_at_stripe

pytestmark = pytest.mark.django_db


def three_d_secure_card() -> str:
    client = providers.get_provider("stripe").client  # type: ignore[attr-defined]
    card = {"number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return str(client.v1.payment_methods.create(params={"type": "card", "card": card}).id)


def authenticate(base: str, intent_id: str, client_secret: str, *, success: bool) -> None:
    """What Stripe.js's handleNextAction does: the buyer passes (or fails) the bank's check."""
    data = urllib.parse.urlencode(
        {"key": "pk_test_localstripe", "client_secret": client_secret, "success": "true" if success else "false"}
    ).encode()
    url = f"{base}/v1/payment_intents/{intent_id}/_authenticate"
    urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5)  # noqa: S310  (our localstripe)


def confirm(client: Any, payment: Payment, method: str) -> Any:
    return client.post(
        f"/payments/{payment.public_id}/confirm/",
        json.dumps({"payment_method": method}),
        content_type="application/json",
    )


def test_a_second_tab_gets_the_charge_waiting_for_3d_secure_back_instead_of_charging_another_card(
    stripe_on: str, sample: Any, roaster: Any, roaster_client: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    first = confirm(roaster_client, payment, three_d_secure_card())
    assert first.status_code == 200
    assert first.json()["status"] == "requires_action"
    # The buyer opens the checkout in a second tab and pays with another card meanwhile.
    second = confirm(roaster_client, payment, "pm_card_visa")
    assert second.status_code == 200, second.content
    assert (second.json()["status"], second.json()["attempt"]) == ("requires_action", 1)
    assert second.json()["client_secret"] == first.json()["client_secret"]
    assert second.json()["redirect"] == first.json()["redirect"]
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    assert len(intents_at_stripe(payment)) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PENDING, Decimal("0"))
    # The buyer finishes the bank's check in either tab: the one charge is recorded.
    intent_id = first.json()["redirect"].split("payment_intent=")[1]
    authenticate(stripe_on, intent_id, first.json()["client_secret"], success=True)
    landing = roaster_client.get(first.json()["redirect"])
    assert 'data-status="paid"' in landing.content.decode()
    assert Payment.objects.get(pk=payment.pk).amount_paid == Decimal("25.00")


def test_a_retried_api_call_without_an_idempotency_key_gets_the_live_attempt_back(
    stripe_on: str, api: Any, sample: Any, roaster: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    url = f"/api/v1/payments/{payment.public_id}/confirm/"
    method = three_d_secure_card()
    first = api(roaster).post(url, {"payment_method": method}, format="json")
    retried = api(roaster).post(url, {"payment_method": method}, format="json")
    assert first.status_code == retried.status_code == 200
    body, again = first.json(), retried.json()
    assert body["status"] == again["status"] == "requires_action"
    assert (body["attempt"], body["intent_id"]) == (again["attempt"], again["intent_id"])
    assert body["client_secret"] == again["client_secret"]
    assert again["payment"]["attempts"] == 1
    assert len(intents_at_stripe(payment)) == 1


def test_once_the_waiting_charge_has_failed_at_stripe_a_new_card_can_pay(
    stripe_on: str, sample: Any, roaster: Any, roaster_client: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    first = confirm(roaster_client, payment, three_d_secure_card()).json()
    intent_id = first["redirect"].split("payment_intent=")[1]
    # The bank's check fails and neither the webhook nor the return page has told us yet.
    authenticate(stripe_on, intent_id, first["client_secret"], success=False)
    retry = confirm(roaster_client, payment, "pm_card_visa")
    assert retry.status_code == 200
    assert (retry.json()["status"], retry.json()["attempt"]) == ("succeeded", 2)
    statuses = list(PaymentAttempt.objects.filter(payment=payment).values_list("number", "status"))
    assert statuses == [(1, "failed"), (2, "succeeded")]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PAID, Decimal("25.00"))


def test_the_database_refuses_a_second_live_attempt_for_one_payment(
    stripe_fake: None, order: Any, roaster: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    PaymentAttempt.objects.create(payment=payment, number=1, idempotency_key="live-1")
    for status in ("started", "requires_action", "processing"):
        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentAttempt.objects.create(payment=payment, number=2, idempotency_key="live-2", status=status)
    # Ended attempts do not count: history may hold many failed tries beside the live one.
    PaymentAttempt.objects.create(payment=payment, number=2, idempotency_key="done-2", status="failed")
    PaymentAttempt.objects.create(payment=payment, number=3, idempotency_key="done-3", status="canceled")
    assert PaymentAttempt.objects.filter(payment=payment).count() == 3
