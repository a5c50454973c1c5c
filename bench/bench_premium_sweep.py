"""Premium sweep over 100,000 listed lots against its floor: one hand-written SQL UPDATE.

The floor computes the same ratio (FOB USD/lb ÷ baseline median, same rounding) for every public lot
in a single ``UPDATE lots_lot … FROM`` with the reference tables inlined. The sweep does more: it also
writes each lot's ``pricing_lotpremium`` row (baseline used, band, position, flags, timestamps) and
only touches ``lots_lot`` where the ratio changed, in batches that report progress. Both run on the
same data in the same run; the benchmark checks that they store identical ratios.

Cases: ``cold`` (no premiums stored, every lot changes) and ``warm`` (nothing changed since the last
sweep: the nightly case).

Measured on the shared 2-core development machine (PostgreSQL 15, 100,000 public lots, medians of 3;
absolute times move with the other engineers' load, the ratios much less):
floor 9.5–19.7 s; cold sweep 1.05–1.52× the floor; warm sweep 0.36–0.51×. Since the sweep also
reads per-protocol scores (LotScore), harvest dates, lot-size rows and verified competition results
(issue 14), a quick run (20,000 lots) measured cold 1.44×, warm 0.72× the floor. With the project's
``evidence_changed`` receivers connected (one premium signal per changed lot; moderation reads the
lot's claims for each) a cold sweep of 100,000 lots took 248–305 s: that fan-out, not the sweep,
dominates when every premium changes at once.

Run: ``.venv/bin/python bench/bench_premium_sweep.py [--quick] [--with-receivers]`` (the receivers
case takes minutes, so ``run()`` leaves it out unless asked).
"""

from __future__ import annotations

import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import case, median, setup_django

NAME = "premium_sweep"
PREFIX = "BENCH-PS-"
COUNTRIES = ["CO", "ET", "KE", "PA", "BR", "GT", "HN", "PE", "CR", "RW"]


def _ensure_lots(n: int) -> None:
    from django.db import connection

    from accounts.models import Role, User
    from core.models import ExchangeRate
    from lots.models import Farm, Lot, LotTag, classify

    user, _ = User.objects.get_or_create(
        email="bench-pricing@bench.test", defaults={"role": Role.PRODUCER, "display_name": "Bench Pricing"}
    )
    for currency, rate in (("EUR", "1.0870000000"), ("COP", "0.0002450000")):
        ExchangeRate.objects.get_or_create(
            currency=currency, valid_on="2026-11-01", defaults={"usd_per_unit": Decimal(rate)}
        )
    farms = []
    for country in COUNTRIES:
        farm, _ = Farm.objects.get_or_create(producer=user, name=f"Bench farm {country}", defaults={"country": country})
        farms.append(farm)
    # bulk_create skips Lot.save(), which fills the denormalised origin; older bench rows may lack it.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE lots_lot l SET origin_country = f.country FROM lots_farm f "
            "WHERE f.id = l.farm_id AND l.origin_country = '' AND l.code LIKE %s",
            [PREFIX + "%"],
        )
    have = Lot.objects.filter(producer=user, code__startswith=PREFIX).count()
    if have >= n:
        # Keep exactly n public lots of ours: park the rest as drafts.
        ids = list(
            Lot.objects.filter(producer=user, code__startswith=PREFIX).order_by("pk").values_list("pk", flat=True)
        )
        Lot.objects.filter(pk__in=ids[:n]).update(status="listed")
        Lot.objects.filter(pk__in=ids[n:]).update(status="draft")
        return
    rng = random.Random(7)
    batch = []
    for i in range(have, n):
        currency = rng.choice(["USD", "USD", "USD", "EUR", "COP"])
        unit = rng.choice(["kg", "lb"])
        price = Decimal(rng.randint(600, 9000)) / 100
        if currency == "COP":
            price *= 4000
        weight = Decimal(rng.choice([20, 45, 80, 300, 700, 2000]))
        batch.append(
            Lot(
                producer=user,
                farm=rng.choice(farms),
                name=f"Bench lot {i}",
                code=f"{PREFIX}{i:07d}",
                process="washed",
                additives="none",
                harvest_year=rng.choice([2019, 2021, 2022, 2023, 2024, 2025]),
                weight_kg=weight,
                classification=classify(weight),
                price=price,
                currency=currency,
                price_unit=unit,
                incoterm=rng.choice(["FOB", "FOB", "EXW", "FCA", "CIF"]),
                status="listed",
                official_score=rng.choice(
                    [None, Decimal("83.50"), Decimal("86.25"), Decimal("88.00"), Decimal("91.00")]
                ),
            )
        )
        if len(batch) == 5000:
            Lot.objects.bulk_create(batch)
            batch = []
    if batch:
        Lot.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE lots_lot l SET origin_country = f.country FROM lots_farm f "
            "WHERE f.id = l.farm_id AND l.origin_country = '' AND l.code LIKE %s",
            [PREFIX + "%"],
        )
    tagged = (
        Lot.objects.filter(producer=user, code__startswith=PREFIX).order_by("pk").values_list("pk", flat=True)[::97]
    )
    LotTag.objects.bulk_create([LotTag(lot_id=pk, tag="competition") for pk in tagged], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _floor_sql() -> tuple[str, list[Any]]:
    """The hand-written floor: one UPDATE computing the ratio, reference tables inlined as VALUES.

    The bench lots carry only a catalogue score without a protocol (read as the 2004 form), so the
    floor takes the band straight from ``official_score``; the sweep reads scores per protocol.
    """
    from lots.models import PUBLIC_STATUSES
    from marketplace.pricing.selectors import pricing_context
    from marketplace.pricing.sweep import _HY_SQL, _SIZE_SQL, _reference_tables

    statuses = list(PUBLIC_STATUSES)
    parts = _reference_tables(pricing_context(), "l.status IN (%s, %s, %s)", statuses)
    with_sql = "WITH " + ",\n".join(sql for sql, _p in parts)
    params = [p for _sql, ps in parts for p in ps]
    band = """CASE WHEN l.official_score >= 90 THEN '90+' WHEN l.official_score >= 88 THEN '88-90'
        WHEN l.official_score >= 86 THEN '86-88' WHEN l.official_score >= 84 THEN '84-86'
        WHEN l.official_score >= 82 THEN '82-84' WHEN l.official_score >= 80 THEN '80-82' ELSE 'all' END"""
    sql = f"""{with_sql}
UPDATE lots_lot AS l SET premium_ratio = ROUND(ROUND(
        CASE WHEN l.price_unit = 'kg' THEN l.price * 0.45359237 * r.usd ELSE l.price * r.usd END
        + CASE WHEN l.incoterm = 'FOB' THEN 0
               ELSE (SELECT a.usd FROM adj a WHERE a.origin = UPPER(l.origin_country) AND a.incoterm = l.incoterm) END,
        4) / b.median, 3)
FROM rates r, base b
WHERE r.currency = l.currency AND b.origin = UPPER(l.origin_country) AND b.hy = {_HY_SQL}
    AND b.size_band = {_SIZE_SQL} AND b.score_band = {band}
    AND l.status IN ('listed', 'reserved', 'sold_out')"""
    return sql, params


def _reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE lots_lot SET premium_ratio = NULL WHERE premium_ratio IS NOT NULL")
        cursor.execute("TRUNCATE pricing_lotpremium")
    _vacuum()


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE lots_lot")
        cursor.execute("VACUUM ANALYZE pricing_lotpremium")


class _NoReceivers:
    """Disconnect every evidence_changed receiver (other apps' work is not the sweep's own cost)."""

    def __enter__(self) -> None:
        from core.signals import evidence_changed

        self.saved = evidence_changed.receivers[:]
        evidence_changed.receivers = []
        evidence_changed.sender_receivers_cache.clear()

    def __exit__(self, *exc: object) -> None:
        from core.signals import evidence_changed

        evidence_changed.receivers = self.saved
        evidence_changed.sender_receivers_cache.clear()


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(quick: bool = False, receivers: bool = False) -> list[dict[str, Any]]:
    setup_django()
    from django.db import connection, transaction

    from lots.models import PUBLIC_STATUSES, Lot
    from marketplace.pricing.sweep import premiums_sweep

    n = 20_000 if quick else 100_000
    repeat = 1 if quick else 3
    _ensure_lots(n)
    total = Lot.objects.filter(status__in=PUBLIC_STATUSES).count()
    floor_sql, floor_params = _floor_sql()

    def floor() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(floor_sql, floor_params)

    floor_times, cold_times, warm_times = [], [], []
    same = True
    with _NoReceivers():
        for _ in range(repeat):
            _reset()
            floor_times.append(_timed(floor))
            floor_ratios = dict(Lot.objects.filter(status__in=PUBLIC_STATUSES).values_list("pk", "premium_ratio"))
            _reset()
            cold_times.append(_timed(premiums_sweep))
            swept = dict(Lot.objects.filter(status__in=PUBLIC_STATUSES).values_list("pk", "premium_ratio"))
            same = same and swept == floor_ratios
            _vacuum()
            warm_times.append(_timed(premiums_sweep))
    floor_s = median(floor_times)
    note = f"{total} public lots; ratios identical to the floor: {same}"
    rows = [
        case(NAME, f"floor: one SQL UPDATE ({total} lots)", floor_s, floor_s, notes=note),
        case(NAME, f"sweep, cold: every premium written ({total} lots)", median(cold_times), floor_s, notes=note),
        case(NAME, f"sweep, warm: nothing changed ({total} lots)", median(warm_times), floor_s, notes=note),
    ]
    if receivers and not quick:
        # Every changed premium sends evidence_changed(kind="premium"); this is what the receivers
        # the other apps connect (moderation re-reads the lot's claims) add on top, once.
        _reset()
        with_receivers = _timed(premiums_sweep)
        rows.append(
            case(
                NAME,
                f"sweep, cold, with the project's evidence_changed receivers ({total} lots)",
                with_receivers,
                floor_s,
                notes="one premium signal per changed lot; receiver cost belongs to the receiving apps",
            )
        )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv, receivers="--with-receivers" in sys.argv):
        print(f"{row['case']:<55} {row['value']:8.3f} s  ratio {row['ratio']:.2f}  ({row['notes']})")
