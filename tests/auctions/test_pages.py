"""HTML pages: list, detail with live htmx blocks, bidding, creating, cancelling, competition lots."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest

from lots.models import Lot, LotTag
from marketplace.auctions import services
from marketplace.auctions.models import Auction, Bid
from tests.auctions.conftest import T0, item_of
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_anyone_sees_the_list_and_the_auction_but_never_the_reserve(at, make_auction, anon_client, outsider_client):
    at.set(T0)
    auction = make_auction(opening="100", reserve="777")
    assert anon_client.get("/auctions/").status_code == 200
    for client in (anon_client, outsider_client):
        page = client.get(f"/auctions/{auction.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert auction.title in html and "100.00" in html
        assert "777" not in html


def test_the_seller_sees_their_hidden_reserve(at, make_auction, producer_client):
    at.set(T0)
    auction = make_auction(reserve="777")
    assert "777.0000" in producer_client.get(f"/auctions/{auction.pk}/").content.decode()


def test_live_block_polls_and_shows_standing(at, make_auction, roaster, roaster_client, second_roaster):
    at.set(T0)
    auction = make_auction()
    item = item_of(auction)
    services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="100")
    live = roaster_client.get(f"/auctions/{auction.pk}/lots/{item.pk}/live/", **HTMX).content.decode()
    assert 'hx-trigger="every' in live and "You are leading" in live and "1 bid" in live
    services.bid_place(item=item.pk, bidder=second_roaster, amount_per_kg="105")
    live = roaster_client.get(f"/auctions/{auction.pk}/lots/{item.pk}/live/", **HTMX).content.decode()
    assert "You have been outbid" in live and "105.00" in live


def test_roaster_bids_with_htmx_and_gets_the_form_and_live_block_back(at, make_auction, roaster_client):
    at.set(T0)
    auction = make_auction(opening="100")
    item = item_of(auction)
    response = roaster_client.post(
        f"/auctions/{auction.pk}/lots/{item.pk}/bid/", {"amount_per_kg": "100", "max_amount_per_kg": "130"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "you are leading" in html.lower() and 'hx-swap-oob="true"' in html
    assert Bid.objects.filter(item=item).count() == 1


def test_a_bad_bid_shows_a_field_error_and_writes_nothing(at, make_auction, roaster_client):
    at.set(T0)
    auction = make_auction(opening="100")
    item = item_of(auction)
    response = roaster_client.post(f"/auctions/{auction.pk}/lots/{item.pk}/bid/", {"amount_per_kg": "90"}, **HTMX)
    assert "Bid at least 100.0000 per kg" in response.content.decode()
    response = roaster_client.post(f"/auctions/{auction.pk}/lots/{item.pk}/bid/", {"amount_per_kg": "abc"})
    assert response.status_code == 400
    assert not Bid.objects.exists()


def test_bidding_needs_a_roaster_who_does_not_own_the_lot(
    at, make_auction, anon_client, producer_client, q_grader_client
):
    at.set(T0)
    auction = make_auction()
    url = f"/auctions/{auction.pk}/lots/{item_of(auction).pk}/bid/"
    assert "/accounts/login/" in anon_client.post(url, {"amount_per_kg": "100"})["Location"]
    assert producer_client.post(url, {"amount_per_kg": "100"}).status_code == 403
    assert q_grader_client.post(url, {"amount_per_kg": "100"}).status_code == 403
    assert not Bid.objects.exists()


def test_producer_creates_an_auction_in_the_browser_form(at, producer, producer_client):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("30"))
    other = LotFactory(weight_kg=D("30"))  # someone else's lot is not offered
    page = producer_client.get("/auctions/new/").content.decode()
    assert f'name="lot_{lot.pk}"' in page and f'name="lot_{other.pk}"' not in page
    response = producer_client.post(
        "/auctions/new/",
        {
            "title": "Gesha 30 kg",
            "starts_at": "2026-11-28T12:00",
            "ends_at": "2026-11-29T12:00",
            "closing_mode": "per_lot",
            "extension_minutes": "3",
            "currency": "USD",
            "increment_per_kg": "1",
            "increment_table": "100: 2\n200: 5",
            f"lot_{lot.pk}": "on",
            f"opening_{lot.pk}": "80",
            f"reserve_{lot.pk}": "120",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    auction = Auction.objects.get()
    assert auction.increment_table == [["100", "2"], ["200", "5"]]
    assert item_of(auction).reserve_price_per_kg == D("120")
    assert Lot.objects.get(pk=lot.pk).status == "reserved"


def test_create_form_errors_per_field_and_nothing_written(at, producer, producer_client):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("30"))
    response = producer_client.post(
        "/auctions/new/",
        {
            "title": "x",
            "starts_at": "2026-11-28T12:00",
            "ends_at": "2026-11-28T11:00",
            "closing_mode": "per_lot",
            "extension_minutes": "3",
            "currency": "USD",
            "increment_per_kg": "1",
            f"lot_{lot.pk}": "on",
            f"opening_{lot.pk}": "80",
            f"reserve_{lot.pk}": "70",
        },
    )
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert not Auction.objects.exists() and Lot.objects.get(pk=lot.pk).status == "listed"


def test_create_page_refuses_roasters_and_anonymous(anon_client, roaster_client, outsider_client):
    assert "/accounts/login/" in anon_client.get("/auctions/new/")["Location"]
    assert roaster_client.get("/auctions/new/").status_code == 403
    assert outsider_client.get("/auctions/new/").status_code == 403


def test_outsider_cannot_cancel_but_the_creator_can(at, make_auction, outsider_client, producer_client):
    at.set(T0)
    auction = make_auction()
    assert outsider_client.post(f"/auctions/{auction.pk}/cancel/").status_code == 403
    assert producer_client.post(f"/auctions/{auction.pk}/cancel/").status_code == 302
    auction.refresh_from_db()
    assert auction.status == "cancelled"


def test_competition_page_lists_tagged_lots_and_open_auctions_for_roasters_only(
    at, make_auction, producer, roaster_client, producer_client, anon_client
):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("20"), name="Competition Gesha")
    Lot.objects.filter(pk=lot.pk).update(official_score=D("91"))
    LotTag.objects.create(lot=lot, tag="competition")
    LotFactory(producer=producer, weight_kg=D("20"), name="Plain lot")
    auction = make_auction(lots=[lot])
    page = roaster_client.get("/auctions/competition/").content.decode()
    assert "Competition Gesha" in page and "Plain lot" not in page
    assert f"/auctions/{auction.pk}/" in page
    assert producer_client.get("/auctions/competition/").status_code == 403
    assert "/accounts/login/" in anon_client.get("/auctions/competition/")["Location"]


def test_lot_page_shows_its_open_auction(at, make_auction, anon_client):
    at.set(T0)
    auction = make_auction()
    lot = item_of(auction).lot
    page = anon_client.get(f"/lots/{lot.pk}/")
    assert page.status_code == 200
    assert 'id="lot-auction"' in page.content.decode() and f"/auctions/{auction.pk}/" in page.content.decode()


def test_nav_shows_auctions_to_everyone_and_competition_lots_to_roasters(anon_client, roaster_client, producer_client):
    assert 'href="/auctions/"' in anon_client.get("/").content.decode()
    assert 'href="/auctions/competition/"' in roaster_client.get("/").content.decode()
    assert 'href="/auctions/competition/"' not in producer_client.get("/").content.decode()


def test_dashboard_panel_shows_a_roasters_standing_and_a_producers_auctions(
    at, make_auction, roaster, roaster_client, second_roaster, producer_client, outsider_client
):
    at.set(T0)
    auction = make_auction()
    item = item_of(auction)
    services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="100")
    services.bid_place(item=item.pk, bidder=second_roaster, amount_per_kg="101")
    panel = roaster_client.get("/accounts/dashboard/").content.decode()
    assert 'id="auctions-panel"' in panel and item.lot.name in panel and "You have been outbid" in panel
    assert item.lot.name in producer_client.get("/accounts/dashboard/").content.decode()
    # The outsider bid on nothing: the panel lists nothing of anyone else's.
    assert item.lot.name not in outsider_client.get("/accounts/dashboard/").content.decode()


def test_pages_speak_spanish_and_portuguese(at, make_auction, anon_client):
    at.set(T0)
    auction = make_auction()
    es = anon_client.get(f"/auctions/{auction.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Tiempo restante" in es and "Inicie sesión como tostador para pujar." in es
    pt = anon_client.get("/auctions/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    assert "Leilões" in pt


def test_a_bidder_keeps_seeing_their_own_bids_in_the_polled_block(at, make_auction, roaster, roaster_client):
    at.set(T0)
    auction = make_auction()
    item = item_of(auction)
    services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="123")
    live = roaster_client.get(f"/auctions/{auction.pk}/lots/{item.pk}/live/", **HTMX).content.decode()
    assert "Your bids" in live and "123.0000" in live


def test_the_auction_and_competition_pages_name_the_scale_of_each_score(at, make_auction, producer, client):
    """DOMAIN.md §1: a score is never shown without its scale (a CVA 88.25 is not an SCA 88.25)."""

    at.set(T0)
    sca = LotFactory(producer=producer, weight_kg=D("20"), official_score=D("89.50"))
    sca.official_score_protocol = "sca2004"
    sca.save(update_fields=["official_score_protocol"])
    cva = LotFactory(producer=producer, weight_kg=D("20"), official_score=D("88.25"))
    cva.official_score_protocol = "cva"
    cva.save(update_fields=["official_score_protocol"])
    auction = make_auction(lots=[sca, cva])
    page = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert "SCA 89.50" in page and "CVA 88.25" in page
    assert "89.50 points" not in page
