"""The Cup of Excellence event clock and the auction edge cases, against the published rules.

DOMAIN.md §9 (ACE "How to bid", M-Cultivo's agreement): all lots open together; the auction stays
OPEN until every lot has a bid; then one 3-minute countdown runs and any bid on any lot resets it;
when nobody has bid for 3 minutes every lot closes together. An optional latest end may close
lots nobody bid on as unsold, and never cuts a running clock short.
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from core.errors import Conflict
from lots.models import Lot
from marketplace.auctions import services
from marketplace.auctions.models import Auction
from tests.auctions.conftest import T0, item_of
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
SEC = datetime.timedelta(seconds=1)


def bid(item, who, amount, max_amount=None):
    return services.bid_place(item=item.pk, bidder=who, amount_per_kg=amount, max_amount_per_kg=max_amount)


@pytest.fixture
def event(at, make_auction, moderator, producer, second_producer):
    """Two lots of two producers in one event-clock auction; build it with ``event(**options)``."""

    def make(**options):
        at.set(T0)
        lots = [
            LotFactory(producer=producer, weight_kg=D("20")),
            LotFactory(producer=second_producer, weight_kg=D("30")),
        ]
        return make_auction(by=moderator, lots=lots, closing_mode="event_clock", **options)

    return make


def ends(auction: Auction) -> set:
    return set(auction.items.filter(status="open").values_list("ends_at", flat=True))


def test_without_a_latest_end_the_auction_stays_open_while_any_lot_has_no_bid(at, event, roaster):
    """DOMAIN.md §9: status stays OPEN until every lot has a bid: no time limit cuts it."""
    auction = event(no_end=True)
    assert auction.ends_at is None
    bid(item_of(auction, 0), roaster, "100")
    assert ends(auction) == {None}
    # Ten days on, nothing has closed and bids are still taken on either lot.
    at.set(T0 + datetime.timedelta(days=10))
    assert services.auctions_close_due() == 0
    auction.refresh_from_db()
    assert auction.status == "open"
    bid(item_of(auction, 0), roaster, "150")  # the leader raises their maximum: accepted
    assert ends(auction) == {None}


def test_the_clock_starts_when_the_last_lot_gets_its_first_bid_and_any_bid_resets_it_for_all(
    at, event, roaster, second_roaster
):
    """DOMAIN.md §9: once every lot has a bid a 3-minute countdown starts; any bid on any lot resets it."""
    auction = event(no_end=True)
    at.set(T0 + 30 * MIN)
    bid(item_of(auction, 0), roaster, "100")
    at.set(T0 + 95 * MIN)
    bid(item_of(auction, 1), second_roaster, "100")
    assert ends(auction) == {T0 + 98 * MIN}
    at.set(T0 + 97 * MIN)
    bid(item_of(auction, 1), roaster, "101")  # a bid on the second lot moves the first lot's end too
    assert ends(auction) == {T0 + 100 * MIN}
    assert services.auctions_close_due(now=T0 + 100 * MIN - SEC) == 0
    assert services.auctions_close_due(now=T0 + 100 * MIN) == 2
    auction.refresh_from_db()
    assert auction.status == "closed"
    winners = dict(auction.items.values_list("position", "leader"))
    assert winners == {1: roaster.pk, 2: roaster.pk}


def test_a_bid_seconds_before_the_latest_end_does_not_win_by_sniping(at, event, roaster, second_roaster):
    """Today's bug: with one lot unbid there was no soft close, and a bid ten seconds before the
    scheduled end won. Now the latest end only closes unbid lots; the rest get a running clock."""
    auction = event(ends_at=T0 + 60 * MIN)
    first, second = item_of(auction, 0), item_of(auction, 1)
    at.set(T0 + 5 * MIN)
    bid(first, roaster, "100")
    at.set(T0 + 60 * MIN - 10 * SEC)
    bid(first, second_roaster, "110")  # the snipe
    # The latest end: the lot nobody bid on closes unsold, the other one gets the 3-minute clock.
    assert services.auctions_close_due(now=T0 + 60 * MIN) == 1
    second.refresh_from_db()
    assert (second.status, second.unsold_reason) == ("unsold", "no_bids")
    assert Lot.objects.get(pk=second.lot_id).status == "listed"
    assert ends(auction) == {T0 + 63 * MIN}
    # The outbid roaster answers a minute after the latest end, and the clock resets.
    at.set(T0 + 61 * MIN)
    bid(first, roaster, "111")
    assert ends(auction) == {T0 + 64 * MIN}
    assert services.auctions_close_due(now=T0 + 64 * MIN) == 1
    first.refresh_from_db()
    assert (first.status, first.leader_id, first.current_price_per_kg) == ("sold", roaster.pk, D("111"))


def test_the_latest_end_never_cuts_a_running_clock(at, event, roaster, second_roaster):
    auction = event(ends_at=T0 + 60 * MIN)
    at.set(T0 + 58 * MIN)
    bid(item_of(auction, 0), roaster, "100")
    bid(item_of(auction, 1), second_roaster, "100")
    assert ends(auction) == {T0 + 61 * MIN}
    assert services.auctions_close_due(now=T0 + 60 * MIN) == 0
    at.set(T0 + 60 * MIN + 30 * SEC)
    bid(item_of(auction, 0), second_roaster, "101")  # after the latest end, while the clock runs: taken
    assert ends(auction) == {T0 + 63 * MIN + 30 * SEC}
    assert services.auctions_close_due(now=T0 + 63 * MIN + 30 * SEC) == 2


def test_a_bid_on_an_unbid_lot_after_the_latest_end_is_refused_even_before_the_sweep(at, event, roaster):
    auction = event(ends_at=T0 + 60 * MIN)
    at.set(T0 + 10 * MIN)
    bid(item_of(auction, 0), roaster, "100")
    at.set(T0 + 60 * MIN + SEC)
    with pytest.raises(Conflict):
        bid(item_of(auction, 1), roaster, "100")
    # The refusal changed nothing: the sweep still finds the lot open and closes it itself.
    assert item_of(auction, 1).status == "open"
    # The lot that has a bid is still biddable: the clock started at the latest end.
    bid(item_of(auction, 0), roaster, "120")
    assert item_of(auction, 1).status == "unsold"
    assert ends(auction) == {T0 + 63 * MIN + SEC}  # the clock ran from the latest end; this bid reset it


def test_a_latest_end_with_no_bid_at_all_closes_every_lot_unsold_and_lists_them_again(at, event):
    auction = event(ends_at=T0 + 60 * MIN)
    assert services.auctions_close_due(now=T0 + 60 * MIN) == 2
    auction.refresh_from_db()
    assert auction.status == "closed"
    assert set(auction.items.values_list("unsold_reason", flat=True)) == {"no_bids"}
    assert set(Lot.objects.filter(auction_items__auction=auction).values_list("status", flat=True)) == {"listed"}


def test_the_api_creates_an_event_clock_without_an_end_but_refuses_a_per_lot_auction_without_one(
    at, api, moderator, producer
):
    at.set(T0)
    lot = LotFactory(producer=producer, weight_kg=D("20"))
    body = {
        "title": "Best of the valley",
        "increment_per_kg": "2",
        "starts_at": T0.isoformat(),
        "lots": [{"lot": lot.pk, "opening_price_per_kg": "100"}],
    }
    refused = api(moderator).post("/api/v1/auctions/", {**body, "closing_mode": "per_lot"}, format="json")
    assert refused.status_code == 400
    assert "ends_at" in refused.json()["extra"]["fields"]
    assert Lot.objects.get(pk=lot.pk).status == "listed"

    made = api(moderator).post("/api/v1/auctions/", {**body, "closing_mode": "event_clock"}, format="json")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["ends_at"] is None and data["clock_running"] is False
    assert data["lots"][0]["ends_at"] is None


def test_the_auction_page_says_the_clock_waits_for_every_lot(at, event, roaster, client):
    auction = event(no_end=True)
    bid(item_of(auction, 0), roaster, "100")
    page = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert "Open until every lot has a bid" in page
    assert "3 minutes after the last bid on any lot" in page


# --- edge cases ------------------------------------------------------------------------------


def test_a_maximum_exactly_equal_to_the_reserve_meets_it(at, make_auction, roaster):
    at.set(T0)
    auction = make_auction(opening="100", reserve="150", ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    bid(item, roaster, "120", max_amount="150")
    item.refresh_from_db()
    assert (item.current_price_per_kg, item.reserve_met) == (D("150"), True)
    services.auctions_close_due(now=T0 + 60 * MIN)
    item.refresh_from_db()
    assert (item.status, item.current_price_per_kg) == ("sold", D("150"))


def test_a_bid_exactly_at_the_reserve_meets_it_and_one_cent_below_does_not(at, make_auction, roaster, second_roaster):
    at.set(T0)
    below = item_of(make_auction(opening="100", reserve="150", ends_at=T0 + 60 * MIN))
    exact = item_of(make_auction(opening="100", reserve="150", ends_at=T0 + 60 * MIN))
    bid(below, roaster, "149.99")
    bid(exact, second_roaster, "150")
    services.auctions_close_due(now=T0 + 60 * MIN)
    below.refresh_from_db()
    exact.refresh_from_db()
    assert (below.status, below.unsold_reason) == ("unsold", "reserve_not_met")
    assert exact.status == "sold"
    assert Lot.objects.get(pk=below.lot_id).status == "listed"


def test_increments_from_a_table_apply_at_the_boundary_price_exactly_as_published(
    at, make_auction, api, roaster, second_roaster
):
    """A published table reads "from 10.00 the increment is 0.25": at exactly 10.00 the new step applies."""
    at.set(T0)
    auction = make_auction(
        opening="9.90", increment="0.10", increment_table=[["10", "0.25"], ["20", "0.50"]], ends_at=T0 + 60 * MIN
    )
    item = item_of(auction)

    def minimum():
        return D(api(roaster).get(f"/api/v1/auctions/{auction.pk}/").json()["lots"][0]["minimum_bid_per_kg"])

    bid(item, roaster, "9.90")
    assert minimum() == D("10.00")  # below the first level: the fixed 0.10
    bid(item, second_roaster, "10.00")
    assert minimum() == D("10.25")  # exactly at the level: its step
    with pytest.raises(ValidationError, match=r"10\.25"):
        bid(item, roaster, "10.20")
    bid(item, roaster, "19.75")
    assert minimum() == D("20.00")
    bid(item, second_roaster, "20.00")
    assert minimum() == D("20.50")
