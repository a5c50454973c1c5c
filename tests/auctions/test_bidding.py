"""Bids, soft close, the event clock, reserves and closing, with a controlled server clock."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict
from core.models import AuditEvent, Notification
from lots.models import Lot
from marketplace.auctions import services
from marketplace.auctions.models import Auction, AuctionLot, Bid
from tests.auctions.conftest import T0, item_of
from tests.factories import LotFactory, RoasterFactory

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


def bid(item, who, amount, max_amount=None):
    return services.bid_place(item=item.pk, bidder=who, amount_per_kg=amount, max_amount_per_kg=max_amount)


def test_creating_an_auction_reserves_the_lot_and_a_second_auction_of_it_is_refused(at, make_auction, producer):
    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN)
    lot = item_of(auction).lot
    lot.refresh_from_db()
    assert lot.status == "reserved"
    with pytest.raises(Conflict):
        make_auction(lots=[lot])


def test_producer_cannot_auction_another_producers_lot_and_roaster_cannot_create(
    at, make_auction, second_producer, roaster
):
    at.set(T0)
    lot = LotFactory(producer=second_producer, weight_kg=D("20"))
    with pytest.raises(PermissionDenied):
        make_auction(lots=[lot])
    with pytest.raises(PermissionDenied):
        make_auction(by=roaster, lots=[lot])
    assert Lot.objects.get(pk=lot.pk).status == "listed"
    assert not Auction.objects.exists()


def test_moderator_puts_lots_of_several_producers_in_one_event(at, make_auction, moderator, producer, second_producer):
    at.set(T0)
    lots = [LotFactory(producer=producer, weight_kg=D("20")), LotFactory(producer=second_producer, weight_kg=D("25"))]
    auction = make_auction(by=moderator, lots=lots, closing_mode="event_clock")
    assert [i.lot_id for i in auction.items.order_by("position")] == [lots[0].pk, lots[1].pk]
    assert [i.quantity_kg for i in auction.items.order_by("position")] == [D("20"), D("25")]


def test_bids_are_refused_before_the_start_after_the_end_and_below_the_increment(at, make_auction, roaster):
    at.set(T0)
    auction = make_auction(starts_at=T0 + 10 * MIN, ends_at=T0 + 60 * MIN, opening="100", increment="2")
    item = item_of(auction)
    with pytest.raises(Conflict):
        bid(item, roaster, "100")
    at.set(T0 + 11 * MIN)
    bid(item, roaster, "100")
    other = RoasterFactory()
    with pytest.raises(ValidationError) as too_low:
        bid(item, other, "101.99")
    assert "102" in str(too_low.value)
    bid(item, other, "102")
    at.set(T0 + 60 * MIN)
    with pytest.raises(Conflict):
        bid(item, roaster, "200")
    assert Bid.objects.filter(item=item).count() == 2


def test_only_roasters_bid_and_never_on_their_own_lot(at, make_auction, producer, q_grader, moderator, roaster):
    at.set(T0)
    item = item_of(make_auction())
    for who in (producer, q_grader, moderator):
        with pytest.raises(PermissionDenied):
            bid(item, who, "150")
    assert not Bid.objects.exists()


def test_soft_close_extends_a_lot_bid_on_in_the_last_minutes(at, make_auction, roaster, second_roaster):
    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN, extension_minutes=3)
    item = item_of(auction)
    at.set(T0 + 50 * MIN)
    bid(item, roaster, "100")
    item.refresh_from_db()
    assert item.ends_at == T0 + 60 * MIN  # ten minutes out: no extension
    at.set(T0 + 59 * MIN)
    bid(item, second_roaster, "101")
    item.refresh_from_db()
    assert item.ends_at == T0 + 62 * MIN
    auction.refresh_from_db()
    assert auction.ends_at == T0 + 62 * MIN
    # Past the original end but before the extended one a bid still counts and extends again.
    at.set(T0 + 61 * MIN + datetime.timedelta(seconds=30))
    bid(item, roaster, "102")
    item.refresh_from_db()
    assert item.ends_at == T0 + 64 * MIN + datetime.timedelta(seconds=30)
    # The sweep does not close it early, and closes it once it has run out.
    assert services.auctions_close_due(now=T0 + 64 * MIN) == 0
    assert services.auctions_close_due(now=T0 + 65 * MIN) == 1
    item.refresh_from_db()
    assert (item.status, item.leader_id, item.current_price_per_kg) == ("sold", roaster.pk, D("102"))


def test_per_lot_soft_close_moves_only_the_lot_bid_on(at, make_auction, producer, roaster):
    at.set(T0)
    lots = [LotFactory(producer=producer, weight_kg=D("20")), LotFactory(producer=producer, weight_kg=D("30"))]
    auction = make_auction(lots=lots, ends_at=T0 + 60 * MIN)
    first, second = item_of(auction, 0), item_of(auction, 1)
    at.set(T0 + 59 * MIN)
    bid(first, roaster, "100")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ends_at == T0 + 62 * MIN and second.ends_at == T0 + 60 * MIN


def test_event_clock_starts_once_every_lot_has_a_bid_and_any_bid_resets_it_for_all(
    at, make_auction, moderator, producer, second_producer, roaster, second_roaster
):
    at.set(T0)
    lots = [LotFactory(producer=producer, weight_kg=D("20")), LotFactory(producer=second_producer, weight_kg=D("30"))]
    auction = make_auction(by=moderator, lots=lots, closing_mode="event_clock", ends_at=T0 + 60 * MIN)
    first, second = item_of(auction, 0), item_of(auction, 1)
    at.set(T0 + 58 * MIN)
    bid(first, roaster, "100")  # the second lot has no bid yet: no clock
    assert set(AuctionLot.objects.filter(auction=auction).values_list("ends_at", flat=True)) == {T0 + 60 * MIN}
    at.set(T0 + 59 * MIN)
    bid(second, second_roaster, "100")  # now every lot has a bid: the clock runs for all
    assert set(AuctionLot.objects.filter(auction=auction).values_list("ends_at", flat=True)) == {T0 + 62 * MIN}
    at.set(T0 + 61 * MIN)
    bid(first, second_roaster, "101")  # a bid on one lot resets the clock of both
    assert set(AuctionLot.objects.filter(auction=auction).values_list("ends_at", flat=True)) == {T0 + 64 * MIN}
    # All lots close together when it runs out.
    assert services.auctions_close_due(now=T0 + 63 * MIN) == 0
    assert services.auctions_close_due(now=T0 + 64 * MIN) == 2
    auction.refresh_from_db()
    assert auction.status == "closed"
    assert set(auction.items.values_list("status", flat=True)) == {"sold"}


def test_event_clock_closes_three_minutes_after_the_last_bid_however_early_the_latest_end(
    at, make_auction, moderator, producer, roaster
):
    """DOMAIN.md §9: in event-clock mode there is no scheduled end to snipe; once every lot has a
    bid everything closes 3 minutes after the last bid on any lot, however early that is."""
    at.set(T0)
    lots = [LotFactory(producer=producer, weight_kg=D("20")), LotFactory(producer=producer, weight_kg=D("30"))]
    auction = make_auction(by=moderator, lots=lots, closing_mode="event_clock", ends_at=T0 + 600 * MIN)
    at.set(T0 + MIN)
    bid(item_of(auction, 0), roaster, "100")
    bid(item_of(auction, 1), roaster, "100")
    assert set(auction.items.values_list("ends_at", flat=True)) == {T0 + 4 * MIN}
    assert services.auctions_close_due(now=T0 + 4 * MIN - datetime.timedelta(seconds=1)) == 0
    assert services.auctions_close_due(now=T0 + 4 * MIN) == 2
    assert set(auction.items.values_list("status", flat=True)) == {"sold"}


def test_reserve_not_met_returns_the_lot_to_listed_and_sells_nothing(at, make_auction, producer, roaster):
    at.set(T0)
    auction = make_auction(opening="100", reserve="150", ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    at.set(T0 + 10 * MIN)
    bid(item, roaster, "120")
    services.auctions_close_due(now=T0 + 61 * MIN)
    item.refresh_from_db()
    assert (item.status, item.unsold_reason, item.order_id) == ("unsold", "reserve_not_met", None)
    assert Lot.objects.get(pk=item.lot_id).status == "listed"
    assert Notification.objects.filter(recipient=producer, kind="auction_lot_closed").count() == 1
    assert not Notification.objects.filter(recipient=roaster, kind="auction_won").exists()


def test_no_bids_returns_the_lot_to_listed(at, make_auction):
    at.set(T0)
    item = item_of(make_auction(ends_at=T0 + 60 * MIN))
    services.auctions_close_due(now=T0 + 60 * MIN)
    item.refresh_from_db()
    assert (item.status, item.unsold_reason) == ("unsold", "no_bids")
    assert Lot.objects.get(pk=item.lot_id).status == "listed"


def test_proxy_tie_on_a_real_auction_goes_to_the_earlier_bidder(at, make_auction, roaster, second_roaster):
    at.set(T0)
    auction = make_auction(opening="100", ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    at.set(T0 + MIN)
    bid(item, roaster, "100", "140")
    at.set(T0 + 2 * MIN)
    result = bid(item, second_roaster, "110", "140")
    assert not result.leading
    item.refresh_from_db()
    assert (item.leader_id, item.current_price_per_kg) == (roaster.pk, D("140"))
    services.auctions_close_due(now=T0 + 61 * MIN)
    item.refresh_from_db()
    assert (item.status, item.leader_id) == ("sold", roaster.pk)
    assert Notification.objects.filter(recipient=roaster, kind="auction_won").count() == 1


def test_closing_twice_closes_once(at, make_auction, roaster):
    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN)
    bid(item_of(auction), roaster, "100")
    assert services.auctions_close_due(now=T0 + 61 * MIN) == 1
    assert services.auctions_close_due(now=T0 + 62 * MIN) == 0
    assert AuditEvent.objects.filter(action="auction.lot_closed").count() == 1
    assert Notification.objects.filter(recipient=roaster, kind="auction_won").count() == 1


def test_cancel_only_before_bids_and_only_by_creator_or_moderator(at, make_auction, outsider, roaster, moderator):
    at.set(T0)
    auction = make_auction()
    with pytest.raises(PermissionDenied):
        services.auction_cancel(auction=auction, by=outsider)
    services.auction_cancel(auction=auction, by=moderator)
    auction.refresh_from_db()
    assert auction.status == "cancelled"
    assert Lot.objects.get(pk=item_of(auction).lot_id).status == "listed"
    with_bid = make_auction()
    bid(item_of(with_bid), roaster, "100")
    with pytest.raises(Conflict):
        services.auction_cancel(auction=with_bid, by=with_bid.created_by)


def test_outbid_leader_is_notified_in_site(at, make_auction, roaster, second_roaster):
    at.set(T0)
    item = item_of(make_auction())
    bid(item, roaster, "100")
    bid(item, second_roaster, "105")
    assert Notification.objects.filter(recipient=roaster, kind="auction_outbid").count() == 1


def test_the_winner_gets_an_order_like_an_accepted_negotiation(at, make_auction, producer, roaster):
    from marketplace.negotiation.models import Order

    at.set(T0)
    auction = make_auction(opening="100", reserve="110", ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    bid(item, roaster, "100", "130")
    services.auctions_close_due(now=T0 + 61 * MIN)
    item.refresh_from_db()
    order = Order.objects.get(source="auction", source_id=item.pk)
    assert item.order_id == order.pk
    assert (order.buyer_id, order.seller_id, order.price_per_kg, order.quantity_kg, order.currency) == (
        roaster.pk,
        producer.pk,
        D("110"),  # the leader's maximum reached the reserve, so the price rose to it
        D("30"),
        "USD",
    )
    # Every kilogram is committed to the winner's contract, not paid yet: reserved, then sold out.
    assert Lot.objects.get(pk=item.lot_id).status == "reserved"
    from marketplace.negotiation.services import order_mark_paid

    order_mark_paid(order=order, by=None)
    assert Lot.objects.get(pk=item.lot_id).status == "sold_out"
    # Closing again (a second sweep) makes no second order.
    assert services.auctions_close_due(now=T0 + 62 * MIN) == 0
    assert Order.objects.filter(source="auction").count() == 1


def test_a_lot_that_becomes_unavailable_during_the_auction_closes_unsold_without_an_error(
    at, make_auction, producer, roaster, second_roaster
):
    from core.errors import Conflict
    from marketplace.negotiation.services import order_create

    at.set(T0)
    auction = make_auction(ends_at=T0 + 60 * MIN)
    item = item_of(auction)
    bid(item, roaster, "100")
    lot = Lot.objects.get(pk=item.lot_id)
    # Selling it elsewhere through the marketplace is refused while the auction runs ...
    with pytest.raises(Conflict):
        order_create(
            lot=lot,
            buyer=second_roaster,
            seller=producer,
            quantity_kg=lot.weight_kg,
            price_per_kg=D("90"),
            currency="USD",
            incoterm="FOB",
            source="negotiation",
            source_id=999,
            by=producer,
        )
    # ... but if the lot is taken off the market behind the auction's back (staff, the admin),
    # closing still ends cleanly.
    Lot.objects.filter(pk=lot.pk).update(reserved_kg=lot.weight_kg, status="sold_out")
    assert services.auctions_close_due(now=T0 + 61 * MIN) == 1
    item.refresh_from_db()
    assert (item.status, item.unsold_reason, item.order_id) == ("unsold", "lot_unavailable", None)
