"""REST API: representation, bidding, history, creation and permissions (outsider and anonymous)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest

from marketplace.auctions import services
from marketplace.auctions.models import Auction, Bid
from tests.auctions.conftest import T0, item_of
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


def bids_url(auction):
    return f"/api/v1/auctions/{auction.pk}/bids/"


def test_representation_shows_price_end_status_and_the_callers_own_standing(
    at, make_auction, api, roaster, second_roaster, outsider
):
    at.set(T0)
    auction = make_auction(opening="100", reserve="500", ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="100", max_amount_per_kg="150")
    services.bid_place(item=item.pk, bidder=second_roaster, amount_per_kg="120")

    mine = api(roaster).get(f"/api/v1/auctions/{auction.pk}/").json()
    assert mine["current_price_per_kg"] == "121.0000"
    assert mine["status"] == "open"
    assert mine["ends_at"].startswith("2026-11-28T13:00:00")
    assert mine["standing"] == "leading"
    assert mine["lots"][0]["my_max_per_kg"] == "150.0000"
    assert mine["lots"][0]["reserve_met"] is False

    theirs = api(second_roaster).get(f"/api/v1/auctions/{auction.pk}/").json()
    assert theirs["standing"] == "outbid"
    assert theirs["lots"][0]["my_max_per_kg"] is None

    # The outsider and the public see the price but no standing, no maximum, no reserve.
    for client in (api(outsider), api(None)):
        body = client.get(f"/api/v1/auctions/{auction.pk}/").json()
        assert body["standing"] == "none"
        assert body["lots"][0]["my_max_per_kg"] is None
        assert body["lots"][0]["reserve_price_per_kg"] is None
        assert "150" not in str(body) and "500" not in str(body)
    # Only the seller (creator) and moderators see the reserve.
    assert (
        api(auction.created_by).get(f"/api/v1/auctions/{auction.pk}/").json()["lots"][0]["reserve_price_per_kg"]
        == "500.0000"
    )


def test_list_is_paginated(at, make_auction, api):
    at.set(T0)
    make_auction()
    body = api(None).get("/api/v1/auctions/").json()
    assert body["count"] == 1 and body["results"][0]["lots"][0]["bid_count"] == 0


def test_roaster_bids_through_the_api_and_a_low_bid_is_a_400(at, make_auction, api, roaster):
    at.set(T0)
    auction = make_auction(opening="100", increment="2")
    client = api(roaster)
    response = client.post(bids_url(auction), {"amount_per_kg": "100", "max_amount_per_kg": "120"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["leading"] is True
    assert response.json()["auction"]["standing"] == "leading"
    low = api(roaster).post(bids_url(auction), {"amount_per_kg": "101"}, format="json")
    assert low.status_code == 400
    assert low.json()["message"] == "Validation error"


def test_a_multi_lot_auction_needs_the_lot_in_the_bid(at, make_auction, api, producer, roaster):
    at.set(T0)
    lots = [LotFactory(producer=producer, weight_kg=D("20")), LotFactory(producer=producer, weight_kg=D("25"))]
    auction = make_auction(lots=lots)
    assert api(roaster).post(bids_url(auction), {"amount_per_kg": "100"}, format="json").status_code == 400
    second = item_of(auction, 1)
    response = api(roaster).post(bids_url(auction), {"lot": second.pk, "amount_per_kg": "100"}, format="json")
    assert response.status_code == 201
    assert Bid.objects.get().item_id == second.pk


def test_bid_after_the_end_is_a_409(at, make_auction, api, roaster):
    at.set(T0)
    auction = make_auction(ends_at=T0 + 10 * MIN)
    at.set(T0 + 10 * MIN)
    response = api(roaster).post(bids_url(auction), {"amount_per_kg": "100"}, format="json")
    assert response.status_code == 409


def test_idempotency_key_replays_a_bid_instead_of_placing_it_twice(at, make_auction, api, roaster):
    at.set(T0)
    auction = make_auction()
    client = api(roaster)
    first = client.post(bids_url(auction), {"amount_per_kg": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(bids_url(auction), {"amount_per_kg": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Bid.objects.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "producer", "q_grader", "moderator"])
def test_only_roasters_may_bid(at, make_auction, api, who, request):
    at.set(T0)
    auction = make_auction()
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api(user).post(bids_url(auction), {"amount_per_kg": "100"}, format="json")
    assert response.status_code in (401, 403)
    assert not Bid.objects.exists()


def test_history_is_private_while_open_and_public_with_anonymous_labels_after_close(
    at, make_auction, api, roaster, second_roaster, outsider
):
    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="100")
    services.bid_place(item=item.pk, bidder=second_roaster, amount_per_kg="101")
    assert api(outsider).get(bids_url(auction)).json()["results"] == []
    assert api(None).get(bids_url(auction)).json()["results"] == []
    own = api(roaster).get(bids_url(auction)).json()["results"]
    assert [(r["bidder"], r["amount_per_kg"]) for r in own] == [("You", "100.0000")]

    services.auctions_close_due(now=T0 + 61 * MIN)
    public = api(outsider).get(bids_url(auction)).json()["results"]
    assert [(r["bidder"], r["amount_per_kg"]) for r in public] == [("Bidder 1", "100.0000"), ("Bidder 2", "101.0000")]
    assert api(None).get(bids_url(auction)).json()["results"] == public
    assert "roaster" not in str(public).lower()
    assert api(outsider).get(f"/api/v1/auctions/{auction.pk}/").json()["lots"][0]["order"] is None
    won = api(second_roaster).get(f"/api/v1/auctions/{auction.pk}/").json()
    assert won["standing"] == "won" and won["status"] == "closed" and won["lots"][0]["order"] is not None


def test_producer_creates_an_auction_through_the_api(at, api, producer):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("40"))
    body = {
        "title": "Gesha nano-lot",
        "increment_per_kg": "1",
        "increment_table": [["200", "5"]],
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + 60 * MIN).isoformat(),
        "lots": [{"lot": lot.pk, "opening_price_per_kg": "100", "reserve_price_per_kg": "150"}],
    }
    response = api(producer).post("/api/v1/auctions/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["lots"][0]["reserve_price_per_kg"] == "150.0000"
    assert data["increment_table"] == [["200.0000", "5.0000"]] or data["increment_table"] == [["200", "5"]]


@pytest.mark.parametrize("who", ["outsider", "anonymous", "q_grader"])
def test_others_cannot_create_auctions(at, api, producer, who, request):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("40"))
    user = None if who == "anonymous" else request.getfixturevalue(who)
    body = {
        "title": "Not mine",
        "increment_per_kg": "1",
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + 60 * MIN).isoformat(),
        "lots": [{"lot": lot.pk, "opening_price_per_kg": "100"}],
    }
    assert api(user).post("/api/v1/auctions/", body, format="json").status_code in (401, 403)
    assert not Auction.objects.exists()


def test_another_producer_cannot_auction_my_lot_or_cancel_my_auction(at, make_auction, api, producer, second_producer):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("40"))
    body = {
        "title": "Not mine",
        "increment_per_kg": "1",
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + 60 * MIN).isoformat(),
        "lots": [{"lot": lot.pk, "opening_price_per_kg": "100"}],
    }
    assert api(second_producer).post("/api/v1/auctions/", body, format="json").status_code == 403
    auction = make_auction()
    assert api(second_producer).post(f"/api/v1/auctions/{auction.pk}/cancel/").status_code == 403
    assert api(producer).post(f"/api/v1/auctions/{auction.pk}/cancel/").json()["status"] == "cancelled"


def test_schema_documents_the_bid_endpoint_truthfully():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = schema["paths"]["/api/v1/auctions/{id}/bids/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BidCreateRequest")
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/BidPlaced")
    auction = schema["components"]["schemas"]["Auction"]["properties"]
    assert {"current_price_per_kg", "ends_at", "status", "standing"} <= set(auction)


def test_list_filters_by_status_and_competition(at, make_auction, api, producer):
    at.set(T0)
    nano = make_auction()  # the fixture's lot is 30 kg: a nano-lot
    big = make_auction(lots=[LotFactory(producer=producer, weight_kg=D("300"))], ends_at=T0 + 10 * MIN)
    services.auctions_close_due(now=T0 + 11 * MIN)
    client = api(None)

    def ids(query: str) -> list[int]:
        return [a["id"] for a in client.get(f"/api/v1/auctions/{query}").json()["results"]]

    assert ids("?status=running") == [nano.pk]
    assert ids("?status=closed") == [big.pk]
    assert ids("?competition=true") == [nano.pk]
    assert client.get("/api/v1/auctions/?status=soon").status_code == 400
    assert client.get("/api/v1/auctions/?competition=maybe").status_code == 400
