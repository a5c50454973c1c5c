"""Browser journeys in Chromium: a roaster requests a sample and offers, the producer counters with
htmx, the roaster accepts, and both see the contract; then the after-sale: shipment with a
document, delivery, a quality claim and the moderator's decision."""

from __future__ import annotations

import os
from typing import Any

import pytest

from marketplace.negotiation.models import Negotiation, Order, SampleRequest
from tests.e2e.conftest import open_menu
from tests.factories import LotFactory
from tests.security.hostile_files import clean_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sample_offer_counter_accept_and_both_see_the_contract(
    live_server: Any,
    browser: Any,
    browser_context_args: dict[str, Any],
    browser_login: Any,
    producer: Any,
    roaster: Any,
) -> None:
    contexts = [browser.new_context(**browser_context_args) for _ in range(2)]
    try:
        journey(live_server, contexts[0].new_page(), contexts[1].new_page(), browser_login, producer, roaster)
    finally:
        for context in contexts:
            context.close()


def shot(page: Any, name: str) -> None:
    """Screenshots for a human look when SCREENSHOT_DIR is set (phone-sized window)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"trade-{name}.png"), full_page=True)


def journey(
    live_server: Any, roaster_page: Any, producer_page: Any, browser_login: Any, producer: Any, roaster: Any
) -> None:
    lot = LotFactory(producer=producer, name="Gesha Lavado Alto")
    browser_login(roaster_page, roaster)
    browser_login(producer_page, producer)

    # The roaster asks for a sample from the lot page's trade section …
    roaster_page.goto(f"{live_server.url}/lots/{lot.pk}/")
    roaster_page.click("#trade-section #request-sample")
    roaster_page.select_option("select[name=kind]", "offer")
    roaster_page.fill("input[name=grams]", "250")
    roaster_page.click("#send-sample-request")
    roaster_page.wait_for_selector("#sample-status")
    assert SampleRequest.objects.get().grams == 250
    shot(roaster_page, "sample")

    # … and makes an offer from the sample page.
    roaster_page.click("text=Make an offer")
    roaster_page.fill("input[name=quantity_kg]", "100")
    roaster_page.fill("input[name=price]", "27.00")
    roaster_page.fill("input[name=shipment_window]", "March 2027")
    roaster_page.click("#send-offer")
    roaster_page.wait_for_selector("#turn")
    assert "Waiting for the other party" in roaster_page.inner_text("#turn")
    negotiation = Negotiation.objects.get()
    shot(roaster_page, "offer-sent")

    # The producer finds it under Trade and counters; htmx swaps the thread in place.
    producer_page.goto(f"{live_server.url}/")
    open_menu(producer_page)
    producer_page.click("nav >> text=Trade")
    shot(producer_page, "hub")
    producer_page.click(f"#negotiations >> text={lot.name}")
    producer_page.wait_for_selector("#accept")
    producer_page.click("#counter-toggle")
    producer_page.fill("#thread input[name=price]", "29.50")
    producer_page.click("#send-counter")
    producer_page.wait_for_selector("#turn:has-text('Waiting for the other party')")
    assert "29.5000 USD/kg" in producer_page.inner_text("#events")
    assert "13.3810 USD/lb" in producer_page.inner_text("#events")
    shot(producer_page, "countered")
    negotiation.refresh_from_db()
    assert negotiation.turn == "buyer" and negotiation.current_offer.seq == 2

    # The roaster accepts the counter and lands on the contract.
    roaster_page.reload()
    roaster_page.click("#accept")
    roaster_page.wait_for_selector("#contract")
    order = Order.objects.get()
    assert roaster_page.url.endswith(f"/trade/orders/{order.pk}/")
    assert "2950.00 USD" in roaster_page.inner_text("#contract-total")
    assert "147.50 USD" in roaster_page.inner_text("#contract-fee")
    assert "Awaiting payment" in roaster_page.inner_text("#order-status")
    shot(roaster_page, "contract")

    # The producer sees the same contract, linked from the thread.
    producer_page.goto(f"{live_server.url}/trade/negotiations/{negotiation.pk}/")
    producer_page.click("#contract-link")
    producer_page.wait_for_selector("#contract")
    assert order.number in producer_page.inner_text("h1")
    assert "2802.50 USD" in producer_page.inner_text("#contract-producer-receives")


def test_shipment_delivery_claim_and_moderator_decision(
    live_server: Any,
    browser: Any,
    browser_context_args: dict[str, Any],
    browser_login: Any,
    producer: Any,
    roaster: Any,
    moderator: Any,
    tmp_path: Any,
) -> None:
    from decimal import Decimal

    from marketplace.negotiation import services
    from marketplace.negotiation.models import QualityClaim, ShipmentDocument
    from tests.negotiation.conftest import terms

    lot = LotFactory(producer=producer)
    deal = services.negotiation_open(lot=lot, by=roaster, **terms(quantity_kg=Decimal("60")))
    order = services.negotiation_accept(negotiation=deal, by=producer)
    services.order_mark_paid(order=order, by=None, reference="bank-transfer")
    pdf = tmp_path / "bill-of-lading.pdf"
    pdf.write_bytes(clean_pdf())
    contexts = [browser.new_context(**browser_context_args) for _ in range(3)]
    try:
        producer_page, roaster_page, moderator_page = (c.new_page() for c in contexts)
        browser_login(producer_page, producer)
        browser_login(roaster_page, roaster)
        browser_login(moderator_page, moderator)
        url = f"{live_server.url}/trade/orders/{order.pk}/"

        producer_page.goto(url)
        producer_page.fill("input[name=courier]", "Maersk")
        producer_page.fill("input[name=tracking]", "MAEU123456")
        producer_page.set_input_files("input[name=documents]", str(pdf))
        producer_page.click("#order-ship")
        producer_page.wait_for_selector("#order-status:has-text('Shipped')")
        assert ShipmentDocument.objects.get(order=order).name == "bill-of-lading.pdf"

        roaster_page.goto(url)
        assert "bill-of-lading.pdf" in roaster_page.inner_text("#contract")
        roaster_page.click("#order-delivered")
        roaster_page.wait_for_selector("#order-status:has-text('Delivered')")
        roaster_page.fill("textarea[name=description]", "Two cups phenolic")
        roaster_page.click("text=Send to the moderators")
        roaster_page.wait_for_selector("text=Your claim went to the moderators.")
        claim = QualityClaim.objects.get(order=order)

        moderator_page.goto(f"{live_server.url}/")
        open_menu(moderator_page)
        moderator_page.click("nav >> text=Quality claims")
        row = f"#claim-{claim.pk}"
        moderator_page.select_option(f"{row} select", "allowance")
        moderator_page.fill(f"{row} textarea", "8% allowance, confirmed by the arbitration cupping")
        moderator_page.click(f"{row} button[type=submit]")
        moderator_page.wait_for_selector(f"{row} .tag.ok")  # swapped in place by htmx
        claim.refresh_from_db()
        assert claim.status == "resolved" and claim.resolved_by == moderator
    finally:
        for context in contexts:
            context.close()
