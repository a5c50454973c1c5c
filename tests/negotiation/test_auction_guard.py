"""A lot on auction belongs to its bidders: no negotiation can open or turn into an order meanwhile."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict
from marketplace.auctions import services as auctions
from marketplace.negotiation.services import order_create
from marketplace.negotiation.services_negotiation import negotiation_open
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auctioned_lot(producer):
    lot = LotFactory(producer=producer, weight_kg=Decimal("30.00"))
    now = timezone.now()
    auctions.auction_create(
        by=producer,
        title="Nano-lot auction",
        lots=[auctions.LotOffer(lot=lot, opening_price_per_kg=Decimal("100"))],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=1),
        increment_per_kg=Decimal("1"),
    )
    lot.refresh_from_db()
    return lot


def test_no_negotiation_opens_on_a_lot_that_is_on_auction(auctioned_lot, roaster):
    with pytest.raises(Conflict, match="on auction"):
        negotiation_open(
            lot=auctioned_lot,
            by=roaster,
            quantity_kg=Decimal("5"),
            price=Decimal("120"),
            currency="USD",
            price_unit="kg",
            incoterm="FOB",
        )


def test_no_order_but_the_auctions_own_is_made_on_an_auctioned_lot(auctioned_lot, roaster, producer):
    with pytest.raises(Conflict, match="on auction"):
        order_create(
            lot=auctioned_lot,
            buyer=roaster,
            seller=producer,
            quantity_kg=Decimal("5"),
            price_per_kg=Decimal("120"),
            currency="USD",
            incoterm="FOB",
            source="negotiation",
            source_id=999,
            by=producer,
        )
    auctioned_lot.refresh_from_db()
    assert auctioned_lot.reserved_kg == 0
