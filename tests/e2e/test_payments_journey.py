"""A roaster pays a sample fee on the checkout page in Chromium, against localstripe.

Stripe.js is replaced by a test double (tests/payments/stripe_test_double.js) served at the URL
``settings.STRIPE_JS_URL`` points to; it tokenises the card with localstripe's API. The rest is
the real page, the real checkout.js and the real server-side confirmation.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marketplace.negotiation.models import SampleRequest
from marketplace.payments.models import Payment, PaymentStatus, PayoutEntry
from tests.e2e.conftest import open_menu
from tests.factories import LotFactory
from tests.payments.conftest import (  # noqa: F401  (fixtures; the guard is autouse here too)
    localstripe_url,
    stripe_is_never_called_inside_a_transaction,
    stripe_on,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEST_DOUBLE = Path(__file__).resolve().parents[1] / "payments" / "stripe_test_double.js"


@pytest.fixture
def checkout_against_localstripe(settings: Any, live_server: Any, stripe_on: str, page: Any) -> None:  # noqa: F811
    settings.STRIPE_JS_URL = f"{live_server.url}/__stripe-test-double__/v3/"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    # Only the test double talks to localstripe from the browser; real Stripe.js uses Stripe's origin.
    policy["DIRECTIVES"]["connect-src"] = [*policy["DIRECTIVES"]["connect-src"], stripe_on]
    settings.CONTENT_SECURITY_POLICY = policy
    script = TEST_DOUBLE.read_text().replace("__LOCALSTRIPE_URL__", stripe_on)
    page.route(
        "**/__stripe-test-double__/**",
        lambda route: route.fulfill(status=200, body=script, content_type="application/javascript"),
    )


def test_roaster_pays_a_sample_fee_on_the_checkout_page(
    checkout_against_localstripe: None, live_server: Any, page: Any, browser_login: Any, roaster: Any, producer: Any
) -> None:
    lot = LotFactory(producer=producer, name="Finca Azul Gesha")
    SampleRequest.objects.create(
        lot=lot, roaster=roaster, producer=producer, grams=300, fee=Decimal("25.00"), currency="USD", status="accepted"
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    browser_login(page, roaster)
    open_menu(page)
    page.click("nav.nav >> text=Payments")
    page.wait_for_selector("#dues")
    page.click("#dues button[type=submit]")
    page.wait_for_selector("#payment-form")
    assert "25.00 USD" in page.inner_text("#amount-due")
    page.wait_for_selector("[data-stand-in=number]")

    # A card that localstripe declines: the error shows and the buyer stays on the page.
    page.fill("[data-stand-in=number]", "4000000000000341")
    page.click("#pay-button")
    page.wait_for_selector("#payment-message:not([hidden])")
    assert "declined" in page.inner_text("#payment-message").lower()
    assert Payment.objects.get().status == PaymentStatus.FAILED

    # A good card: charged server-side, then the return page confirms it with Stripe.
    page.fill("[data-stand-in=number]", "4242424242424242")
    page.click("#pay-button")
    page.wait_for_selector("#payment-result[data-status=paid]")
    assert "25.00 USD received" in page.inner_text("#payment-result")

    payment = Payment.objects.get()
    assert (payment.status, payment.amount_paid, payment.attempts) == (PaymentStatus.PAID, Decimal("25.00"), 2)
    assert PayoutEntry.objects.filter(payment=payment, producer=producer).count() == 1
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_card_needing_3d_secure_is_confirmed_after_the_check(
    checkout_against_localstripe: None, live_server: Any, page: Any, browser_login: Any, roaster: Any, producer: Any
) -> None:
    lot = LotFactory(producer=producer, name="Finca Roja Pacamara")
    SampleRequest.objects.create(
        lot=lot, roaster=roaster, producer=producer, grams=300, fee=Decimal("12.50"), currency="USD", status="accepted"
    )
    browser_login(page, roaster)
    page.goto(f"{live_server.url}/payments/")
    page.click("#dues button[type=submit]")
    page.wait_for_selector("[data-stand-in=number]")
    page.fill("[data-stand-in=number]", "4000000000003220")
    page.click("#pay-button")
    page.wait_for_selector("#payment-result[data-status=paid]")
    payment = Payment.objects.get()
    assert (payment.amount_paid, payment.attempts) == (Decimal("12.50"), 1)


def test_offline_mode_bank_transfer_confirmed_by_a_moderator(
    live_server: Any, page: Any, browser_login: Any, roaster: Any, producer: Any, moderator: Any
) -> None:
    lot = LotFactory(producer=producer, name="Sítio Verde Catuaí")
    SampleRequest.objects.create(
        lot=lot, roaster=roaster, producer=producer, grams=300, fee=Decimal("20.00"), currency="USD", status="accepted"
    )
    browser_login(page, roaster)
    page.goto(f"{live_server.url}/payments/")
    assert page.is_visible("#offline-mode")
    page.click("#dues button[type=submit]")
    page.wait_for_selector("#bank-transfer")
    reference = page.inner_text("#transfer-reference")
    assert reference.startswith("offline_")
    page.context.clear_cookies()

    browser_login(page, moderator)
    page.goto(f"{live_server.url}/payments/")
    page.click(f"#transfers >> text={lot.name}")
    page.fill("#received-form input[name=reference]", "WIRE-2026-11-28")
    page.click("#received-form button[type=submit]")
    page.wait_for_selector("[data-status=paid]")
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_paid, payment.intent_id) == (PaymentStatus.PAID, Decimal("20.00"), reference)


def test_a_moderator_records_a_bank_transfer_that_arrives_in_two_parts(
    live_server: Any, page: Any, browser_login: Any, roaster: Any, producer: Any, moderator: Any
) -> None:
    from marketplace.payments import services
    from marketplace.payments.models import SubjectKind

    lot = LotFactory(producer=producer, name="Finca Dos Partes")
    sample = SampleRequest.objects.create(
        lot=lot, roaster=roaster, producer=producer, grams=300, fee=Decimal("20.00"), currency="USD", status="accepted"
    )
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    browser_login(page, moderator)
    page.goto(f"{live_server.url}/payments/{payment.public_id}/")
    page.fill("#received-form input[name=amount]", "5.00")
    page.fill("#received-form input[name=reference]", "WIRE-A")
    page.click("#received-form button[type=submit]")
    page.wait_for_selector("[data-status=partially_paid]")
    assert "15.00 USD" in page.inner_text("#line-due")
    # The form now offers what is still due; the second transfer completes the payment.
    assert page.input_value("#received-form input[name=amount]") == "15.00"
    page.fill("#received-form input[name=reference]", "WIRE-B")
    page.click("#received-form button[type=submit]")
    page.wait_for_selector("[data-status=paid]")
    assert "WIRE-A" in page.inner_text("#transfers-received") and "WIRE-B" in page.inner_text("#transfers-received")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PAID, Decimal("20.00"))
    assert sum(PayoutEntry.objects.filter(payment=payment).values_list("amount", flat=True)) == Decimal("20.00")
