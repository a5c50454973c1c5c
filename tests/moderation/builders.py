"""Real rows for moderation tests: a genuine 300 kg washed Gesha with every piece of evidence."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cupping.models import CuppingSheet, GreenGrading
from lots.models import LotPhoto
from lots.services import custody_event_add
from marketplace.pricing.models import LotPremium
from tests import factories

D = Decimal

# Washed: 1,750 kg cherry → 375 kg dry parchment (4.67:1) → 305 kg green (1.23:1) → 300 kg packed.
WASHED_CHAIN: list[tuple[str, str, str, str, str]] = [
    ("harvest", "cherry", "cherry", "1800", "1750"),
    ("depulping", "cherry", "parchment", "1750", "900"),
    ("fermentation", "parchment", "parchment", "900", "880"),
    ("drying", "parchment", "parchment", "880", "375"),
    ("milling", "parchment", "green", "375", "305"),
    ("packaging", "green", "green", "305", "300"),
]


def add_chain(lot: Any, chain: list[tuple[str, str, str, str, str]] | None = None, *, separated: bool = True) -> None:
    day = datetime.date(2025, 10, 5)
    for i, (stage, s_in, s_out, w_in, w_out) in enumerate(chain or WASHED_CHAIN):
        custody_event_add(
            lot=lot,
            by=lot.producer,
            stage=stage,
            occurred_on=day + datetime.timedelta(days=3 * i),
            state_in=s_in,
            state_out=s_out,
            weight_in_kg=D(w_in),
            weight_out_kg=D(w_out),
            separated=separated,
            place="Finca",
        )


def add_sheet(lot: Any, grader: Any, score: str = "88.50", *, independent: bool = True, original: bool = True) -> Any:
    return CuppingSheet.objects.create(
        lot=lot,
        grader=grader,
        entered_by=grader,
        protocol="sca2004",
        form_version="SCA-2004",
        cupped_on=datetime.date(2026, 1, 10),
        harvest_year=lot.harvest_year,
        independent_declared=independent,
        independent=independent,
        total=D(score),
        defects=D("0"),
        final_score=D(score),
        original="cupping/originals/signed.pdf" if original else "",
        original_sha256="a" * 64 if original else "",
    )


def add_grading(lot: Any, grader: Any) -> Any:
    return GreenGrading.objects.create(
        lot=lot,
        grader=grader,
        graded_on=datetime.date(2026, 1, 11),
        defect_counts={},
        full_defects={},
        category1_defects=0,
        category2_defects=2,
        quakers=0,
        moisture_pct=D("10.8"),
        water_activity=D("0.550"),
        specialty=True,
        reasons=[],
    )


def add_plot_photo(lot: Any) -> Any:
    return LotPhoto.objects.create(
        lot=lot,
        kind="plot",
        image="lots/test/plot.jpg",
        width=100,
        height=100,
        original_sha256="b" * 64,
        taken_at=timezone.make_aware(datetime.datetime(2025, 10, 3, 9, 0)),
        gps_lat=D("1.852345"),
        gps_lon=D("-75.912345"),
        uploaded_by=lot.producer,
    )


def add_premium(lot: Any, ratio: str = "4.000", **flags: bool) -> Any:
    now = timezone.now()
    lot.premium_ratio = D(ratio)
    lot.save(update_fields=["premium_ratio"])
    # The pricing app may already have computed a row for the lot (its receivers run on commit).
    premium, _created = LotPremium.objects.update_or_create(
        lot=lot,
        defaults={"status": "ok", "premium_ratio": D(ratio), "computed_at": now, "changed_at": now, **flags},
    )
    return premium


def genuine_lot(producer: Any, grader: Any, **lot_fields: Any) -> Any:
    """A listed 300 kg washed Gesha from one 2.5 ha plot, with every hallmark's evidence in place."""
    lot_fields.setdefault("official_score", D("88.50"))
    lot_fields.setdefault("official_score_protocol", "sca2004")
    lot = factories.LotFactory(producer=producer, **lot_fields)
    add_chain(lot)
    add_sheet(lot, grader)
    add_grading(lot, grader)
    add_plot_photo(lot)
    add_premium(lot)
    return lot
