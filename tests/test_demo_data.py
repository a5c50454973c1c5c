"""The demo data obeys the rules it demonstrates (issue "Trust II", Demo data)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from lots.models import CustodyEvent, Lot
from marketplace.auctions.models import Auction

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)


def stages(lot: Lot) -> list[str]:
    return list(CustodyEvent.objects.filter(lot=lot).order_by("seq").values_list("stage", flat=True))


def test_no_natural_in_the_demo_has_a_depulping_event_and_each_chain_fits_its_process(demo):
    """DOMAIN.md §10: a natural has no depulping and no fermentation tank; washed has both; honey no tank."""
    seen = set()
    for lot in Lot.objects.exclude(custody_events=None):
        chain = stages(lot)
        seen.add(lot.process)
        if lot.process == "natural":
            assert "depulping" not in chain, lot.code
            fermented = "anaerobic" in (lot.process_modifiers or [])
            assert ("fermentation" in chain) == fermented, lot.code
        elif lot.process == "washed":
            assert chain[:3] == ["harvest", "depulping", "fermentation"], lot.code
        elif lot.process == "honey":
            assert "depulping" in chain and "fermentation" not in chain, lot.code
        assert chain[0] == "harvest" and chain[-1] == "packaging", lot.code
    assert {"natural", "washed", "honey"} <= seen


def test_demo_auctions_hold_lots_of_one_origin_and_no_lot_over_a_thousand_kilograms(demo):
    auctions = list(Auction.objects.prefetch_related("items__lot__farm"))
    assert auctions
    for auction in auctions:
        countries = {item.lot.farm.country for item in auction.items.all()}
        assert len(countries) == 1, (auction.title, countries)
        assert all(item.lot.weight_kg <= 1000 for item in auction.items.all()), auction.title
