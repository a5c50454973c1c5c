"""Catalogue page and lots list API latency against a floor: one raw SQL query in a minimal view.

Seeds 10,000 (and, unless quick, 100,000) listed lots of a bench producer, all from farms in the
made-up origin ``XB`` so that other benchmarks' lots in the shared database do not change the
measured set. Every request goes through the full Django stack with the test client:

* ``page``: ``GET /lots/?country=XB`` (the HTML catalogue, first page of 24, newest first);
* ``api``: ``GET /api/v1/lots/?country=XB&page_size=24`` (JSON, same rows);
* floor: a minimal Django view that runs one hand-written SELECT for the same 24 rows (and the same
  count) and returns them as JSON.

Each case reports the median (and p95 in the notes) and its ratio to the floor's median.
Run: ``.venv/bin/python bench/bench_catalogue.py [--quick]``.
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import case, median, p95, setup_django, timings

NAME = "catalogue"
PREFIX = "BENCH-CAT-"
COUNTRY = "XB"
PAGE = 24

FLOOR_SQL = """
SELECT l.id, l.name, l.code, l.status, l.weight_kg, l.price, l.currency, l.price_unit, l.incoterm,
       l.price_usd_per_kg, l.classification, l.official_score, l.premium_ratio, l.verified_badge,
       f.name, f.country, f.region, v.name
  FROM lots_lot l
  JOIN lots_farm f ON f.id = l.farm_id
  LEFT JOIN lots_variety v ON v.id = l.variety_id
 WHERE l.status = 'listed' AND f.country = %s
 ORDER BY l.listed_at DESC NULLS LAST, l.id DESC
 LIMIT %s
"""


def floor_view(request: Any) -> Any:
    """The floor: one SQL query for the page's rows, serialised as plainly as possible."""
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [COUNTRY, PAGE])
        rows = [[str(v) if isinstance(v, Decimal) else v for v in row] for row in cursor.fetchall()]
    return JsonResponse({"results": rows})


def __getattr__(name: str) -> Any:
    # This module doubles as a URLconf (the project's URLs plus the floor), built only after setup.
    if name == "urlpatterns":
        from django.urls import path

        from marketplace.urls import urlpatterns

        return [path("bench/catalogue-floor/", floor_view), *urlpatterns]
    raise AttributeError(name)


def _ensure_lots(n: int) -> int:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from lots.models import Farm, Lot, LotTag, Variety, classify

    user, _ = User.objects.get_or_create(
        email="bench-catalogue@bench.test", defaults={"role": Role.PRODUCER, "display_name": "Bench Catalogue"}
    )
    farms = [
        Farm.objects.get_or_create(producer=user, name=f"Bench farm {r}", defaults={"country": COUNTRY, "region": r})[0]
        for r in ("Alto", "Bajo", "Centro", "Norte", "Sur")
    ]
    varieties = list(Variety.objects.all()[:12]) or [None]
    mine = Lot.objects.filter(producer=user, code__startswith=PREFIX)
    have = mine.count()
    rng = random.Random(11)
    now = timezone.now()
    with transaction.atomic():
        batch: list[Lot] = []
        for i in range(have, n):
            weight = Decimal(rng.choice([20, 45, 80, 150, 300, 700, 2000]))
            price = Decimal(rng.randint(600, 12000)) / 100
            batch.append(
                Lot(
                    producer=user,
                    farm=rng.choice(farms),
                    origin_country=COUNTRY,
                    name=f"Bench lot {i}",
                    code=f"{PREFIX}{i:07d}",
                    variety=rng.choice(varieties),
                    process=rng.choice(["washed", "natural", "honey"]),
                    honey_colour="red",
                    additives="none",
                    harvest_year=2025,
                    weight_kg=weight,
                    classification=classify(weight),
                    price=price,
                    price_usd_per_kg=price,
                    official_score=Decimal(rng.randint(8200, 9300)) / 100 if rng.random() < 0.6 else None,
                    story="Bench story with jasmine and bergamot notes",
                    status="listed",
                    listed_at=now,
                )
            )
            if len(batch) == 5000:
                Lot.objects.bulk_create(batch)
                batch = []
        if batch:
            Lot.objects.bulk_create(batch)
    ids = list(mine.order_by("pk").values_list("pk", flat=True))
    Lot.objects.filter(pk__in=ids[:n]).exclude(status="listed").update(status="listed")
    Lot.objects.filter(pk__in=ids[n:]).exclude(status="draft").update(status="draft")
    tagged = set(LotTag.objects.filter(lot__producer=user).values_list("lot_id", flat=True))
    LotTag.objects.bulk_create(
        [LotTag(lot_id=pk, tag="competition") for pk in ids[:n:50] if pk not in tagged], ignore_conflicts=True
    )
    from django.db import connection

    with connection.cursor() as cursor:
        # Parking and re-listing rows between sizes leaves dead tuples; measure a tidy table.
        cursor.execute("VACUUM ANALYZE lots_lot")
        cursor.execute("ANALYZE lots_farm")
    return Lot.objects.filter(status="listed", farm__country=COUNTRY).count()


def _measure(n: int, repeat: int) -> list[dict[str, Any]]:
    from django.test import Client, override_settings

    listed = _ensure_lots(n)
    client = Client(HTTP_HOST="localhost")
    with override_settings(ROOT_URLCONF="bench.bench_catalogue", ALLOWED_HOSTS=["localhost"]):

        def get(url: str) -> Any:
            def call() -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            return call

        page = timings(get(f"/lots/?country={COUNTRY}"), repeat=repeat)
        api = timings(get(f"/api/v1/lots/?country={COUNTRY}&page_size={PAGE}"), repeat=repeat)
        floor = timings(get("/bench/catalogue-floor/"), repeat=repeat)
    f = median(floor)
    label = f"{n // 1000}k"
    note = f"{listed} listed lots from {COUNTRY}; p95 %.1f ms (floor p95 {p95(floor) * 1000:.1f} ms)"
    return [
        case(NAME, f"page {label}", median(page), f, notes=note % (p95(page) * 1000)),
        case(NAME, f"api {label}", median(api), f, notes=note % (p95(api) * 1000)),
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    setup_django()
    sizes = [10_000] if quick else [10_000, 100_000]
    results: list[dict[str, Any]] = []
    for n in sizes:
        results.extend(_measure(n, repeat=15 if quick else 30))
    return results


if __name__ == "__main__":
    for c in run(quick="--quick" in sys.argv):
        print(
            f"{c['case']}: {c['value'] * 1000:.2f} ms (floor {c['floor'] * 1000:.2f} ms, "
            f"ratio {c['ratio']:.2f}) {c['notes']}"
        )
