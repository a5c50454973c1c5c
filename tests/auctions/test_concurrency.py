"""Races on PostgreSQL: many bidders at once on one auction, and two closing sweeps at once."""

from __future__ import annotations

import datetime
import random
import threading
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection

from core.models import AuditEvent
from marketplace.auctions import services
from marketplace.auctions.models import AuctionLot, Bid
from marketplace.auctions.rules import Increment, LotState, replay
from tests.auctions.conftest import item_of
from tests.conftest import api_client_for
from tests.factories import LotFactory, RoasterFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
BIDS_PER_THREAD = 25


def run_concurrently(fns: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    barrier = threading.Barrier(len(fns))
    results: list[tuple[str, Any]] = [("missing", None)] * len(fns)

    def worker(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:
            results[i] = ("err", f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_sixteen_bidders_at_once_lose_no_bid_and_the_result_matches_a_replay(require_postgres, make_auction, producer):
    auction = make_auction(opening="50", increment="0.5", increment_table=[["80", "1"]])
    item = item_of(auction)
    roasters = [RoasterFactory() for _ in range(THREADS)]

    def bidder(user: Any, seed: int) -> list[tuple[int, dict[str, str]]]:
        rng = random.Random(seed)
        client = api_client_for(user)
        url = f"/api/v1/auctions/{auction.pk}/bids/"
        sent = []
        for _ in range(BIDS_PER_THREAD):
            row = AuctionLot.objects.get(pk=item.pk)
            price = row.current_price_per_kg or D("49.5")
            amount = price + D("0.5") * rng.randint(1, 3)
            body = {"amount_per_kg": str(amount)}
            if rng.random() < 0.4:  # a proxy bid with a maximum a little higher
                body["max_amount_per_kg"] = str(amount + D("0.5") * rng.randint(1, 8))
            response = client.post(url, body, format="json")
            sent.append((response.status_code, body))
        return sent

    results = run_concurrently([lambda u=u, s=s: bidder(u, s) for s, u in enumerate(roasters)])
    assert all(kind == "ok" for kind, _ in results), results
    statuses = [status for _, sent in results for status, _body in sent]
    assert len(statuses) == THREADS * BIDS_PER_THREAD
    # Refusals are 400 (too low / already leading); a deadlock or lost update would be a 500.
    assert set(statuses) <= {201, 400}, sorted(set(statuses))
    accepted = statuses.count(201)
    assert accepted >= THREADS  # contention refuses many, but every bidder got some in

    item.refresh_from_db()
    rows = list(Bid.objects.filter(item=item).order_by("seq"))
    # No bid lost: one user-placed row per accepted request, and the history has no gaps.
    user_rows = [b for b in rows if b.kind in ("bid", "max_raise")]
    assert len(user_rows) == accepted
    assert [b.seq for b in rows] == list(range(1, item.bid_count + 1))
    prices = [b.amount_per_kg for b in rows if b.kind != "max_raise"]
    assert prices == sorted(prices)  # the price only ever went up

    # The final price and winner are what the rules give for the same accepted bids in order.
    final, refused = replay(
        LotState(opening=D("50"), reserve=None),
        Increment.from_data(D("0.5"), [["80", "1"]]),
        [
            (
                b.bidder_id,
                b.amount_per_kg if b.kind == "bid" else b.max_amount_per_kg,
                b.max_amount_per_kg,
            )
            for b in user_rows
        ],
    )
    assert refused == 0
    assert (final.price, final.leader, final.leader_max) == (
        item.current_price_per_kg,
        item.leader_id,
        item.leader_max_per_kg,
    )
    assert AuditEvent.objects.filter(action="auction.bid").count() == accepted


def test_two_sweeps_at_once_close_each_auctioned_lot_exactly_once(require_postgres, at, make_auction, producer):
    auctions = [make_auction(lots=[LotFactory(producer=producer, weight_kg=D("20"))]) for _ in range(6)]
    roaster = RoasterFactory()
    for auction in auctions[:4]:
        services.bid_place(item=item_of(auction).pk, bidder=roaster, amount_per_kg="120")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)

    results = run_concurrently([lambda: services.auctions_close_due(now=later) for _ in range(2)])
    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert sum(count for _, count in results) == 6
    assert AuditEvent.objects.filter(action="auction.lot_closed").count() == 6
    assert AuditEvent.objects.filter(action="auction.closed").count() == 6
    assert AuctionLot.objects.filter(status="sold").count() == 4
    assert AuctionLot.objects.filter(status="unsold").count() == 2
    # A third sweep finds nothing to do.
    assert services.auctions_close_due(now=later) == 0


def test_the_same_lot_put_up_twice_at_once_makes_one_auction(require_postgres, producer):
    from core.errors import Conflict
    from marketplace.auctions.models import Auction

    lot = LotFactory(producer=producer, weight_kg=D("20"))
    now = datetime.datetime.now(datetime.UTC)

    def create() -> int:
        return services.auction_create(
            by=producer,
            title="Twice",
            lots=[services.LotOffer(lot=lot.pk, opening_price_per_kg="100")],
            starts_at=now,
            ends_at=now + datetime.timedelta(hours=1),
            increment_per_kg="1",
        ).pk

    results = run_concurrently([create, create])
    assert sorted(kind for kind, _ in results) == ["err", "ok"]
    assert next(detail for kind, detail in results if kind == "err").startswith(Conflict.__name__)
    assert Auction.objects.count() == 1


def test_a_last_second_bid_racing_the_sweep_either_extends_or_is_refused(
    require_postgres, make_auction, producer, roaster
):
    from marketplace.auctions import clock

    for _ in range(3):
        auction = make_auction(lots=[LotFactory(producer=producer, weight_kg=D("20"))])
        item = item_of(auction)
        end = item.ends_at
        clock.freeze(end - datetime.timedelta(milliseconds=1))  # the bidder's server time: just in time
        try:
            results = run_concurrently(
                [
                    lambda item=item: services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="100"),
                    lambda end=end: services.auctions_close_due(now=end),
                ]
            )
        finally:
            clock.reset()
        (bid_kind, bid_detail), (sweep_kind, closed) = results
        assert sweep_kind == "ok"
        item.refresh_from_db()
        if bid_kind == "ok":
            # The bid won the lock: soft close moved the end, and the sweep found nothing due.
            assert closed == 0 and item.status == "open" and item.ends_at > end
        else:
            # The sweep won: the lot closed unsold and the late bid was refused, not lost in between.
            assert bid_detail.startswith("Conflict") and closed == 1 and item.status == "unsold"
            assert not Bid.objects.filter(item=item).exists()


def test_a_withdrawal_and_a_reweigh_racing_bids_never_take_the_lot_from_its_bidders(
    require_postgres, make_auction, producer
):
    """Issue 13: while the lot is on an open auction its status and weight are frozen; whatever
    the interleaving with the bids (bids lock the auction, lot writes lock the lot and then ask
    whether an auction holds it), the withdrawal is refused and the winner gets the contract."""
    from core.errors import Conflict
    from lots import services as lots
    from lots.models import Lot
    from marketplace.negotiation.models import Order

    for _ in range(3):
        auction = make_auction(opening="100", lots=[LotFactory(producer=producer, weight_kg=D("30"))])
        item = item_of(auction)
        lot = Lot.objects.get(pk=item.lot_id)
        roasters = [RoasterFactory() for _ in range(4)]
        bids = [
            lambda r=r, n=n, pk=item.pk: services.bid_place(item=pk, bidder=r, amount_per_kg=str(100 + 5 * n))
            for n, r in enumerate(roasters)
        ]
        results = run_concurrently(
            [
                *bids,
                lambda lot=lot: lots.lot_withdraw(lot=lot, by=producer, reason="better offer elsewhere"),
                lambda lot=lot: lots.lot_update(
                    lot=lot, by=producer, data={"weight_kg": "5"}, expected_version=lot.version
                ),
            ]
        )
        *bid_results, withdraw, reweigh = results
        for kind, detail in (withdraw, reweigh):
            assert kind == "err" and detail.startswith(f"{Conflict.__name__}: This lot is on the auction"), detail
        assert any(kind == "ok" for kind, _ in bid_results), bid_results
        lot.refresh_from_db()
        assert (lot.status, lot.weight_kg) == ("reserved", D("30.00"))
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
        assert services.auctions_close_due(now=later) == 1
        item.refresh_from_db()
        order = Order.objects.get(source="auction", source_id=item.pk)
        assert item.status == "sold" and order.buyer_id == item.leader_id and order.quantity_kg == D("30.00")


def test_a_withdrawal_racing_the_auction_creation_leaves_one_outcome(require_postgres, producer):
    """Both lock the lot first: either the lot is withdrawn and never auctioned, or it is on the
    auction and the withdrawal is refused; never a withdrawn lot on an open auction."""
    from core.errors import Conflict
    from lots import services as lots
    from lots.models import Lot

    for _ in range(3):
        lot = LotFactory(producer=producer, weight_kg=D("20"))
        now = datetime.datetime.now(datetime.UTC)
        results = run_concurrently(
            [
                lambda lot=lot, now=now: (
                    services.auction_create(
                        by=producer,
                        title="Race",
                        lots=[services.LotOffer(lot=lot.pk, opening_price_per_kg="100")],
                        starts_at=now,
                        ends_at=now + datetime.timedelta(hours=1),
                        increment_per_kg="1",
                    ).pk
                ),
                lambda lot=lot: lots.lot_withdraw(lot=lot, by=producer).status,
            ]
        )
        (create_kind, create_detail), (withdraw_kind, withdraw_detail) = results
        assert sorted([create_kind, withdraw_kind]) == ["err", "ok"], results
        lot.refresh_from_db()
        on_auction = AuctionLot.objects.filter(lot=lot, status="open").exists()
        if create_kind == "ok":
            assert withdraw_detail.startswith(Conflict.__name__)
            assert on_auction and lot.status == "reserved"
        else:
            assert create_detail.startswith(Conflict.__name__)
            assert not on_auction and lot.status == "withdrawn"
        assert Lot.objects.filter(pk=lot.pk, status="withdrawn", auction_items__status="open").count() == 0
