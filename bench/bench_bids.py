"""Accepted bids per second on one auction under 16-thread contention.

Floor: the same number of single-row INSERTs done one after another (autocommit) in the same run,
so the ratio says what the row lock, validation, bid rows, audit row and soft-close bookkeeping
cost per accepted bid compared with the cheapest possible write.

Run standalone: ``.venv/bin/python bench/bench_bids.py [--quick]``.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import case, setup_django

THREADS = 16


def _world(tag: str) -> tuple[Any, list[Any]]:
    import datetime

    from django.utils import timezone

    from accounts.models import ProducerProfile, RoasterProfile, Role, User
    from lots.models import Farm, Lot
    from marketplace.auctions import services

    producer = User.objects.create_user(f"bench-producer-{tag}@example.test", "x", role=Role.PRODUCER)
    ProducerProfile.objects.create(user=producer, organisation="Bench", country="CO")
    roasters = []
    for n in range(THREADS):
        user = User.objects.create_user(f"bench-roaster-{tag}-{n}@example.test", "x", role=Role.ROASTER)
        RoasterProfile.objects.create(user=user, company=f"R{n}", country="DE")
        roasters.append(user)
    farm = Farm.objects.create(producer=producer, name=f"Bench {tag}", country="CO")
    lot = Lot.objects.create(
        producer=producer,
        farm=farm,
        name="Bench lot",
        code=f"B-{tag}",
        process="washed",
        additives="none",
        harvest_year=2025,
        weight_kg=Decimal("30"),
        price=Decimal("30"),
        status="listed",
    )
    now = timezone.now()
    auction = services.auction_create(
        by=producer,
        title=f"Bench {tag}",
        lots=[services.LotOffer(lot=lot, opening_price_per_kg="10")],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=2),
        increment_per_kg="0.5",
    )
    return auction.items.get(), roasters


def _contended(item: Any, roasters: list[Any], wanted: int) -> tuple[int, int, float]:
    """16 threads in a bidding war: each wants ``wanted`` accepted bids and, like a real client
    after a 400, re-reads the price and tries again when it was outbid in the meantime."""
    from django.core.exceptions import ValidationError
    from django.db import connection

    from marketplace.auctions.models import AuctionLot
    from marketplace.auctions.services import bid_place

    barrier = threading.Barrier(THREADS + 1)
    accepted = [0] * THREADS
    attempts = [0] * THREADS
    errors: list[str] = []
    finished: list[int] = []

    def worker(i: int) -> None:
        me = roasters[i].pk
        try:
            barrier.wait()
            k = 0
            while accepted[i] < wanted and attempts[i] < wanted * 50:
                price, leader = AuctionLot.objects.filter(pk=item.pk).values_list("current_price_per_kg", "leader_id")[
                    0
                ]
                if leader == me:
                    if len(finished) >= THREADS - 1:
                        break  # nobody left to outbid us
                    time.sleep(0.001)  # leading: nothing to do until someone outbids us
                    continue
                k += 1
                amount = (price or Decimal("9.5")) + Decimal("0.5") * (1 + (i + k) % 3)
                ceiling = amount + Decimal("2") if k % 3 == 0 else None
                attempts[i] += 1
                try:
                    bid_place(item=item.pk, bidder=roasters[i], amount_per_kg=amount, max_amount_per_kg=ceiling)
                    accepted[i] += 1
                except ValidationError:
                    pass  # outbid between the read and the bid: refused, as it should be
        except Exception as exc:  # a deadlock or lost update would land here
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            finished.append(i)
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} bidder threads failed: {errors[:3]}")
    return sum(accepted), sum(attempts), elapsed


def _sequential_inserts(n: int) -> float:
    from core.models import Job

    start = time.perf_counter()
    ids = [Job.objects.create(kind="bench-floor").pk for _ in range(n)]
    elapsed = time.perf_counter() - start
    Job.objects.filter(pk__in=ids).delete()
    return elapsed


def run(quick: bool = False) -> list[dict[str, Any]]:
    setup_django()
    item, roasters = _world(uuid.uuid4().hex[:10])
    wanted = 5 if quick else 20
    accepted, tried, elapsed = _contended(item, roasters, wanted)
    floor_elapsed = _sequential_inserts(accepted)
    per_bid = elapsed / accepted
    per_insert = floor_elapsed / accepted
    return [
        case(
            "bids",
            f"seconds per accepted bid, {THREADS} threads on one auction",
            per_bid,
            per_insert,
            unit="s",
            notes=(
                f"{accepted / elapsed:.0f} accepted bids/s ({accepted} of {tried} attempts accepted, "
                f"{tried / elapsed:.0f} attempts/s); floor {accepted / floor_elapsed:.0f} sequential INSERTs/s"
            ),
        )
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(
            f"{row['benchmark']}: {row['case']}: {row['value'] * 1000:.2f} ms vs floor "
            f"{row['floor'] * 1000:.2f} ms (ratio {row['ratio']:.1f}) — {row['notes']}"
        )
