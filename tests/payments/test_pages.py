"""The pages: checkout (Stripe.js with the CSP nonce, or bank-transfer instructions), the
confirm endpoint checkout.js calls, the contract's fee line, and the lot page's payment terms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from marketplace.payments import services
from marketplace.payments.models import LotPaymentTerms, Payment, PaymentStatus, SubjectKind

pytestmark = pytest.mark.django_db


def test_stripe_checkout_loads_stripe_js_and_our_script_with_the_nonce(
    stripe_on: str, settings: Any, sample: Any, roaster: Any, roaster_client: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    response = roaster_client.get(f"/payments/{payment.public_id}/pay/")
    html = response.content.decode()
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script src="{settings.STRIPE_JS_URL}" nonce="{nonce}"></script>' in html
    assert re.search(rf'<script src="/static/payments/checkout\.js[^"]*" nonce="{re.escape(nonce)}">', html)
    assert 'data-publishable-key="pk_test_localstripe"' in html
    assert "style=" not in html.split("<main", 1)[1]


def test_the_confirm_endpoint_charges_and_reports_a_decline(
    stripe_on: str, sample: Any, roaster: Any, roaster_client: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    url = f"/payments/{payment.public_id}/confirm/"
    declined = roaster_client.post(
        url, json.dumps({"payment_method": "pm_card_chargeCustomerFail"}), content_type="application/json"
    )
    assert declined.status_code == 400
    assert "declined" in declined.json()["message"].lower()
    ok = roaster_client.post(url, json.dumps({"payment_method": "pm_card_visa"}), content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["status"] == "succeeded"
    landing = roaster_client.get(ok.json()["redirect"])
    assert 'data-status="paid"' in landing.content.decode()
    again = roaster_client.post(url, json.dumps({"payment_method": "pm_card_visa"}), content_type="application/json")
    assert again.status_code == 409  # already paid: no second charge
    assert Payment.objects.get().attempts == 2


def test_the_confirm_endpoint_needs_the_csrf_token(stripe_on: str, sample: Any, roaster: Any) -> None:
    from django.test import Client

    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(roaster, backend="accounts.backends.EmailBackend")
    response = client.post(
        f"/payments/{payment.public_id}/confirm/",
        json.dumps({"payment_method": "pm_card_visa"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Payment.objects.get().status == PaymentStatus.UNPAID


def test_the_payment_page_shows_the_fee_line_and_what_the_producer_receives(
    order: Any, roaster: Any, producer_client: Any, roaster_client: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    for client in (producer_client, roaster_client):
        html = client.get(f"/payments/{payment.public_id}/").content.decode()
        fee = re.search(r'id="line-fee">([^<]+)<', html).group(1).replace(",", "")
        producer = re.search(r'id="line-producer">([^<]+)<', html).group(1).replace(",", "")
        assert fee.startswith(str(order.marketplace_fee))
        assert producer.startswith(str(order.producer_receives))


def test_the_lot_page_offers_its_producer_the_payment_terms(
    lot: Any, producer_client: Any, roaster_client: Any
) -> None:
    html = producer_client.get(f"/lots/{lot.pk}/").content.decode()
    assert 'id="payment-terms"' in html and 'name="mode"' in html
    response = producer_client.post(f"/payments/lots/{lot.pk}/terms/", {"mode": "deposit", "next": f"/lots/{lot.pk}/"})
    assert response.status_code == 302 and response.url == f"/lots/{lot.pk}/"
    assert LotPaymentTerms.objects.get(lot=lot).mode == "deposit"
    html = roaster_client.get(f"/lots/{lot.pk}/").content.decode()
    assert "30% deposit" in html
    assert 'name="mode"' not in html


def test_a_bad_terms_choice_changes_nothing(lot: Any, producer_client: Any) -> None:
    producer_client.post(f"/payments/lots/{lot.pk}/terms/", {"mode": "everything"})
    assert not LotPaymentTerms.objects.exists()


def test_roasters_see_what_they_owe_in_the_payments_page(order: Any, sample: Any, roaster_client: Any) -> None:
    html = roaster_client.get("/payments/").content.decode()
    assert f'data-pay="order-{order.pk}"' in html
    assert f'data-pay="sample-{sample.pk}"' in html


@pytest.mark.parametrize(("language", "expected"), [("es", "Por pagar"), ("pt", "A pagar")])
def test_the_payments_page_speaks_spanish_and_portuguese(roaster_client: Any, language: str, expected: str) -> None:
    response = roaster_client.post("/i18n/setlang/", {"language": language, "next": "/payments/"}, follow=True)
    assert expected in response.content.decode()


def test_the_dashboard_panels_show_dues_balance_and_transfers(
    order: Any, roaster: Any, moderator: Any, roaster_client: Any, producer_client: Any, moderator_client: Any
) -> None:
    assert "3,000.00 USD" in roaster_client.get("/accounts/dashboard/").content.decode()
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    assert "1 bank transfer awaiting confirmation" in moderator_client.get("/accounts/dashboard/").content.decode()
    services.payment_mark_received(payment=payment, by=moderator)
    html = producer_client.get("/accounts/dashboard/").content.decode()
    assert f"{payment.producer_amount:,} USD" in html


def test_the_payment_page_shows_the_contract_lines_and_links_the_contract(
    order: Any, roaster: Any, roaster_client: Any
) -> None:
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    html = roaster_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert f'href="/trade/orders/{order.pk}/"' in html or order.number in html
    assert (
        re.search(r'id="contract-fee">([^<]+)<', html).group(1).replace(",", "").startswith(str(order.marketplace_fee))
    )


def test_the_terms_form_does_not_redirect_off_site(lot: Any, producer_client: Any) -> None:
    response = producer_client.post(f"/payments/lots/{lot.pk}/terms/", {"mode": "full", "next": "//evil.example/"})
    assert response.status_code == 302 and response.url == "/payments/"


def test_what_to_pay_follows_the_payment_already_opened(
    order: Any, roaster: Any, producer: Any, moderator: Any, roaster_client: Any
) -> None:
    from marketplace.payments.selectors import dues_for

    services.lot_terms_set(lot=order.lot, by=producer, mode="deposit")
    assert [d["due"].kind for d in dues_for(roaster) if d["due"].subject_kind == "order"] == ["deposit"]
    deposit = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    services.lot_terms_set(lot=order.lot, by=producer, mode="full")
    assert [d["due"].kind for d in dues_for(roaster) if d["due"].subject_kind == "order"] == ["deposit"]
    services.payment_mark_received(payment=deposit, by=moderator)
    assert [d["due"].kind for d in dues_for(roaster) if d["due"].subject_kind == "order"] == ["balance"]
    response = roaster_client.post(
        "/payments/open/", {"subject_kind": "order", "subject_id": order.pk, "kind": "balance"}
    )
    assert response.status_code == 302
    assert Payment.objects.get(kind="balance").amount == order.total - deposit.amount
