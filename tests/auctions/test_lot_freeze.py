"""Issue 13, "walking away from an auction with bids": while a lot is on an open (or scheduled)
auction, its weight, price, status and availability are frozen for everyone, except through the
auction itself; the winner always gets the contract. The auction's own lot moves go through
``lots.services.lot_transition`` as the system, so they are audited and guarded like any other."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import Any

import pytest

from core.models import AuditEvent
from lots.models import Lot
from marketplace.auctions import services
from marketplace.auctions.models import ItemStatus
from marketplace.negotiation import services as negotiation
from marketplace.negotiation.models import Order
from tests.auctions.conftest import T0, item_of
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


def row(lot: Lot) -> dict[str, Any]:
    return Lot.objects.filter(pk=lot.pk).values().get()


def bids_url(auction: Any) -> str:
    return f"/api/v1/auctions/{auction.pk}/bids/"


@pytest.fixture
def auction_with_a_bid(at: Any, make_auction: Any, api: Any, roaster: Any) -> Any:
    at.set(T0)
    auction = make_auction(opening="100", ends_at=T0 + 60 * MIN)
    response = api(roaster).post(bids_url(auction), {"amount_per_kg": "100"}, format="json")
    assert response.status_code == 201, response.json()
    return auction


@pytest.mark.parametrize(
    "change",
    [
        {"weight_kg": "10.00"},
        {"weight_kg": "60.00"},
        {"price": "1.0000"},
        {"currency": "EUR"},
        {"price_unit": "lb"},
        {"incoterm": "EXW"},
        {"incoterm_place": "Somewhere else"},
    ],
)
def test_the_producer_cannot_reweigh_or_reprice_a_lot_on_auction_with_bids_through_the_api(
    auction_with_a_bid: Any, api: Any, producer: Any, change: dict[str, str]
) -> None:
    lot = item_of(auction_with_a_bid).lot
    before = row(lot)
    response = api(producer).patch(f"/api/v1/lots/{lot.pk}/", {**change, "version": lot.version}, format="json")
    assert response.status_code == 409, response.json()
    assert "auction" in response.json()["message"]
    assert row(lot) == before


def test_the_story_and_photos_of_a_lot_on_auction_may_still_change(
    auction_with_a_bid: Any, api: Any, producer: Any
) -> None:
    lot = item_of(auction_with_a_bid).lot
    lot.refresh_from_db()
    response = api(producer).patch(
        f"/api/v1/lots/{lot.pk}/", {"story": "Picked at dawn.", "version": lot.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    after = row(lot)
    assert after["story"] == "Picked at dawn."
    assert (after["weight_kg"], after["price"], after["status"]) == (D("30.00"), D("30.0000"), "reserved")


@pytest.mark.parametrize("actor", ["producer", "moderator"])
@pytest.mark.parametrize("to", ["withdrawn", "listed", "sold_out", "draft"])
def test_nobody_withdraws_or_moves_a_lot_on_auction_through_the_api(
    request: pytest.FixtureRequest, auction_with_a_bid: Any, api: Any, actor: str, to: str
) -> None:
    lot = item_of(auction_with_a_bid).lot
    before = row(lot)
    response = api(request.getfixturevalue(actor)).post(f"/api/v1/lots/{lot.pk}/transition/", {"to": to}, format="json")
    assert response.status_code == 409, response.json()
    assert row(lot) == before


def test_the_producer_cannot_withdraw_or_reweigh_a_lot_on_auction_through_the_pages(
    auction_with_a_bid: Any, producer_client: Any
) -> None:
    lot = item_of(auction_with_a_bid).lot
    lot.refresh_from_db()
    before = row(lot)
    page = producer_client.get(f"/lots/{lot.pk}/").content.decode()
    assert 'id="lot-held"' in page and "Nano-lot auction" in page
    assert 'id="withdraw-lot"' not in page
    response = producer_client.post(f"/lots/{lot.pk}/status/", {"to": "withdrawn"}, follow=True)
    assert "is on the auction" in response.content.decode()
    edit = producer_client.post(
        f"/lots/{lot.pk}/edit/",
        {
            "name": lot.name,
            "code": lot.code,
            "variety": "Gesha",
            "process": "washed",
            "additives": "none",
            "harvest_year": "2025",
            "weight_kg": "5",
            "price": "30",
            "currency": "USD",
            "price_unit": "kg",
            "incoterm": "FOB",
            "incoterm_place": "Buenaventura",
            "farm": lot.farm_id,
            "plots": list(lot.plots.values_list("pk", flat=True)),
            "version": lot.version,
        },
    )
    assert edit.status_code == 409
    text = edit.content.decode()
    assert "is on the auction" in text and "Someone else changed this lot" not in text
    assert row(lot) == before


def test_a_scheduled_auction_freezes_its_lot_too(at: Any, make_auction: Any, api: Any, producer: Any) -> None:
    at.set(T0)
    auction = make_auction(starts_at=T0 + 60 * MIN, ends_at=T0 + 120 * MIN)
    lot = item_of(auction).lot
    before = row(lot)
    assert api(producer).post(f"/api/v1/lots/{lot.pk}/transition/", {"to": "withdrawn"}).status_code == 409
    patch = api(producer).patch(f"/api/v1/lots/{lot.pk}/", {"price": "5", "version": lot.version}, format="json")
    assert patch.status_code == 409
    assert row(lot) == before


def test_after_a_refused_withdrawal_the_winner_still_gets_the_contract(
    auction_with_a_bid: Any, api: Any, producer: Any, roaster: Any
) -> None:
    item = item_of(auction_with_a_bid)
    version = Lot.objects.get(pk=item.lot_id).version
    assert api(producer).post(f"/api/v1/lots/{item.lot_id}/transition/", {"to": "withdrawn"}).status_code == 409
    weigh = api(producer).patch(f"/api/v1/lots/{item.lot_id}/", {"weight_kg": "1", "version": version}, format="json")
    assert weigh.status_code == 409 and "auction" in weigh.json()["message"]
    services.auctions_close_due(now=T0 + 61 * MIN)
    item.refresh_from_db()
    assert item.status == ItemStatus.SOLD
    order = Order.objects.get(source="auction", source_id=item.pk)
    assert (order.buyer_id, order.quantity_kg) == (roaster.pk, D("30.00"))
    lot = Lot.objects.get(pk=item.lot_id)
    assert lot.status == "reserved" and lot.reserved_kg == lot.weight_kg == D("30.00")


def test_once_a_bidless_auction_is_cancelled_the_lot_is_listed_and_editable_again(
    at: Any, make_auction: Any, api: Any, producer: Any
) -> None:
    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN)
    lot = item_of(auction).lot
    assert api(producer).post(f"/api/v1/auctions/{auction.pk}/cancel/").status_code == 200
    lot.refresh_from_db()
    assert lot.status == "listed"
    response = api(producer).patch(f"/api/v1/lots/{lot.pk}/", {"price": "35", "version": lot.version}, format="json")
    assert response.status_code == 200 and response.json()["price"] == "35.0000"


def test_the_auctions_lot_moves_are_audited_system_transitions(at: Any, make_auction: Any, producer: Any) -> None:
    """Audit: no lot status is written outside lots.services.lot_transition."""
    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN)
    lot_id = item_of(auction).lot_id
    services.auctions_close_due(now=T0 + 61 * MIN)  # no bids: unsold, listed again
    moves = AuditEvent.objects.filter(action="lot.status_changed", target_id=str(lot_id)).order_by("pk")
    assert [(m.data["from"], m.data["to"], m.data.get("system")) for m in moves] == [
        ("listed", "reserved", True),
        ("reserved", "listed", True),
    ]
    assert moves[0].actor_id == producer.pk and moves[1].actor_id is None
    assert Lot.objects.get(pk=lot_id).status == "listed"


def test_a_partly_contracted_lot_goes_to_auction_and_comes_back_with_what_is_left(
    at: Any, make_auction: Any, producer: Any, roaster: Any, second_roaster: Any
) -> None:
    """A 420 kg lot with a 100 kg contract auctions its 320 kg; a contract cancelled meanwhile
    gives its kilograms back, but the lot stays reserved until the auction closes."""
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("420.00"))
    order = negotiation.order_create(
        lot=lot,
        buyer=roaster,
        seller=producer,
        quantity_kg=D("100"),
        price_per_kg=D("30"),
        currency="USD",
        incoterm="FOB",
        source="negotiation",
        source_id=1,
        by=producer,
    )
    assert Lot.objects.get(pk=lot.pk).status == "listed"
    auction = make_auction(lots=[lot], ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    assert item.quantity_kg == D("320.00")
    negotiation.order_cancel(order=order, by=roaster, reason="Changed plans")
    lot.refresh_from_db()
    assert (lot.status, lot.reserved_kg) == ("reserved", D("0.00"))
    services.bid_place(item=item.pk, bidder=second_roaster, amount_per_kg="100")
    services.auctions_close_due(now=T0 + 61 * MIN)
    lot.refresh_from_db()
    # The winner's 320 kg are committed; the 100 kg given back are for sale again.
    assert (lot.status, lot.reserved_kg, lot.available_kg) == ("listed", D("320.00"), D("100.00"))
