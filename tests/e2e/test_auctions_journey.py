"""Two roasters bid against each other in two browsers; the live blocks update and the end extends."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from marketplace.auctions import services
from marketplace.auctions.models import AuctionLot
from tests.e2e.conftest import login
from tests.factories import LotFactory, ProducerFactory, RoasterFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_auction(ends_in: datetime.timedelta) -> AuctionLot:
    producer = ProducerFactory()
    lot = LotFactory(producer=producer, weight_kg=Decimal("30"), name="Gesha nano-lot")
    now = timezone.now()
    auction = services.auction_create(
        by=producer,
        title="Best of Huila nano-lots",
        lots=[services.LotOffer(lot=lot, opening_price_per_kg="100")],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + ends_in,
        increment_per_kg="1",
        extension_minutes=3,
    )
    return auction.items.get()


def place_bid(page: Any, item: AuctionLot, amount: str, max_amount: str = "") -> None:
    page.fill(f"#id_amount_per_kg_{item.pk}", amount)
    page.fill(f"#id_max_amount_per_kg_{item.pk}", max_amount)
    page.click(f"#bid-{item.pk} [data-testid=bid-button]")


def test_two_roasters_bid_against_each_other_and_the_end_time_extends(live_server, browser, browser_context_args):
    item = open_auction(ends_in=datetime.timedelta(minutes=2))
    original_end = item.ends_at
    rita, rolf = RoasterFactory(email="rita@browser.test"), RoasterFactory(email="rolf@browser.test")
    url = f"{live_server.url}/auctions/{item.auction_id}/"

    context_a = browser.new_context(**browser_context_args)
    context_b = browser.new_context(**browser_context_args)
    try:
        page_a, page_b = context_a.new_page(), context_b.new_page()
        login(page_a, live_server, rita)
        login(page_b, live_server, rolf)
        page_a.goto(url)
        page_b.goto(url)
        live_a, live_b = page_a.locator(f"#live-{item.pk}"), page_b.locator(f"#live-{item.pk}")
        ends_b = live_b.locator("[data-testid=ends-at]").get_attribute("data-iso")

        # Rita bids in the last three minutes with a proxy maximum: she leads and the end moves.
        place_bid(page_a, item, "100", "110")
        page_a.wait_for_selector(f"#bid-{item.pk} >> text=you are leading")
        assert "You are leading" in live_a.inner_text()
        item.refresh_from_db()
        assert item.ends_at > original_end

        # Rolf's page learns the new price and the later end by polling alone, without a reload.
        page_b.wait_for_function(
            "([id, old]) => document.querySelector(`#live-${id} [data-testid=ends-at]`).dataset.iso !== old",
            arg=[item.pk, ends_b],
            timeout=10000,
        )
        assert "100.00" in live_b.locator("[data-testid=price]").inner_text()

        # Rolf bids 105: Rita's proxy answers at 106 and Rolf is told he is outbid.
        place_bid(page_b, item, "105")
        page_b.wait_for_selector(f"#bid-{item.pk} >> text=another bidder")
        page_b.wait_for_selector(f"#live-{item.pk} >> text=You have been outbid")
        assert "106.00" in live_b.locator("[data-testid=price]").inner_text()

        # Rolf goes over Rita's maximum; Rita's page shows she is outbid, by polling.
        place_bid(page_b, item, "115")
        page_b.wait_for_selector(f"#live-{item.pk} >> text=You are leading")
        page_a.wait_for_selector(f"#live-{item.pk} >> text=You have been outbid", timeout=10000)
        assert "115.00" in live_a.locator("[data-testid=price]").inner_text()

        # A bid below the minimum shows a clear error next to the field and changes nothing.
        place_bid(page_a, item, "115")
        page_a.wait_for_selector(f"#bid-{item.pk} >> text=Bid at least 116.0000 per kg.")
        item.refresh_from_db()
        assert (item.leader_id, item.current_price_per_kg) == (rolf.pk, Decimal("115"))
        # Other bidders appear only as anonymous labels; nobody's e-mail is on the page.
        assert "rita@browser.test" not in page_b.content() and "rolf@browser.test" not in page_a.content()
    finally:
        context_a.close()
        context_b.close()


def test_time_left_counts_down_between_polls_without_script_errors(live_server, page):
    item = open_auction(ends_in=datetime.timedelta(hours=1))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/auctions/{item.auction_id}/")
    left = page.locator(f"#live-{item.pk} [data-testid=time-left]")
    first = int(left.get_attribute("data-seconds"))
    page.wait_for_timeout(2500)
    assert int(left.get_attribute("data-seconds")) < first
    assert errors == []  # no CSP violation, no broken script


def test_producer_puts_a_nano_lot_up_for_auction_in_the_browser(live_server, page, browser_login):
    producer = ProducerFactory(email="paula@browser.test")
    lot = LotFactory(producer=producer, weight_kg=Decimal("24"), name="Browser Gesha")
    browser_login(page, producer)
    page.goto(f"{live_server.url}/auctions/new/")
    now = timezone.now()
    page.fill("input[name=title]", "Browser nano-lot auction")
    page.fill("input[name=starts_at]", now.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=increment_per_kg]", "1")
    page.check(f"input[name=lot_{lot.pk}]")
    page.fill(f"input[name=opening_{lot.pk}]", "120")
    page.fill(f"input[name=reserve_{lot.pk}]", "150")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("h1:has-text('Browser nano-lot auction')")
    assert "Hidden reserve (only you see this)" in page.content()
    lot.refresh_from_db()
    assert lot.status == "reserved"
