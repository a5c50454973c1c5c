"""Issue 13, "taking a rival's lot off the market": only the lot's producer, a moderator or the
system acting for an order or an auction moves a lot. A rival producer, a roaster and a Q-grader
are refused through the API and the pages, whatever state the lot is in, and nothing changes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from core.models import AuditEvent
from lots.models import Lot
from marketplace.auctions import services as auctions
from marketplace.negotiation import services as negotiation
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db

STATES = ("listed", "reserved", "sold_out", "on_auction")
TARGETS = ("listed", "reserved", "sold_out", "withdrawn", "draft")


def row(lot: Lot) -> dict[str, Any]:
    """Every column of the lot as stored."""
    return Lot.objects.filter(pk=lot.pk).values().get()


def _contract_for_everything(lot: Lot, buyer: Any) -> Any:
    return negotiation.order_create(
        lot=lot,
        buyer=buyer,
        seller=lot.producer,
        quantity_kg=lot.weight_kg,
        price_per_kg=Decimal("30"),
        currency="USD",
        incoterm="FOB",
        source="negotiation",
        source_id=lot.pk,
        by=lot.producer,
    )


def lot_in_state(state: str, producer: Any, buyer: Any) -> Lot:
    """A lot of ``producer`` brought to ``state`` through the trade services."""
    lot = LotFactory(producer=producer, weight_kg=Decimal("30.00"))
    if state in ("reserved", "sold_out"):
        order = _contract_for_everything(lot, buyer)
        if state == "sold_out":
            negotiation.order_mark_paid(order=order, by=None)
    elif state == "on_auction":
        now = timezone.now()
        auction = auctions.auction_create(
            by=producer,
            title="Nano-lot auction",
            lots=[auctions.LotOffer(lot=lot, opening_price_per_kg=Decimal("100"))],
            starts_at=now - datetime.timedelta(minutes=1),
            ends_at=now + datetime.timedelta(hours=1),
            increment_per_kg=Decimal("1"),
        )
        auctions.bid_place(item=auction.items.get().pk, bidder=buyer, amount_per_kg="100")
    lot.refresh_from_db()
    expected = "reserved" if state == "on_auction" else state
    assert lot.status == expected
    return lot


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("actor", ["second_producer", "roaster", "q_grader"])
def test_nobody_but_the_owner_moves_a_lot_through_the_api_in_any_state(
    request: pytest.FixtureRequest, api: Any, producer: Any, second_roaster: Any, state: str, actor: str
) -> None:
    lot = lot_in_state(state, producer, second_roaster)
    before = row(lot)
    audits = AuditEvent.objects.filter(action="lot.status_changed").count()
    client = api(request.getfixturevalue(actor))
    for to in TARGETS:
        response = client.post(f"/api/v1/lots/{lot.pk}/transition/", {"to": to, "reason": "rival"}, format="json")
        assert response.status_code in (403, 404), (to, response.status_code, response.content[:300])
    assert row(lot) == before
    assert AuditEvent.objects.filter(action="lot.status_changed").count() == audits


@pytest.mark.parametrize("state", STATES)
def test_a_rival_producer_cannot_move_a_lot_through_the_lot_page(
    producer: Any, second_roaster: Any, second_producer_client: Any, state: str
) -> None:
    lot = lot_in_state(state, producer, second_roaster)
    before = row(lot)
    for to in TARGETS:
        response = second_producer_client.post(f"/lots/{lot.pk}/status/", {"to": to})
        assert response.status_code in (403, 404)
    assert row(lot) == before


def test_the_owner_and_a_moderator_still_move_a_listed_lot(api: Any, producer: Any, moderator: Any) -> None:
    lot = LotFactory(producer=producer)
    response = api(producer).post(f"/api/v1/lots/{lot.pk}/transition/", {"to": "draft"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    lot = LotFactory(producer=producer)
    response = api(moderator).post(f"/api/v1/lots/{lot.pk}/transition/", {"to": "withdrawn"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
