"""Dated baselines (DOMAIN.md §6.1): the lot's harvest year, the most specific row, stale editions named.

These run on the seeded Transaction Guide rows (migration 0002): 2019/20 (v3) all contracts $2.60,
86–87.99 pts $3.50, 82–83.99 pts $1.90, lots < 1,000 lb $4.00, > 40,000 lb $1.90; 2021/22 (v5)
$3.50; 2022/23 (v6) $3.40. Every premium is read back through the API, as a buyer would.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from cupping.models import LotScore
from lots.models import Lot
from marketplace.pricing.services import lot_premium_recompute

pytestmark = pytest.mark.django_db


def harvest(start: datetime.date | None, year: int | None = None) -> dict[str, Any]:
    """Harvest fields as the lots service keeps them (harvest_year = the calendar year it started)."""
    end = start + datetime.timedelta(days=75) if start else None
    return {"harvest_start": start, "harvest_end": end, "harvest_year": year or (start.year if start else 2025)}


def premium_of(api: Any, lot: Any) -> dict[str, Any]:
    lot_premium_recompute(lot_id=lot.pk)
    response = api(None).get(f"/api/v1/pricing/lots/{lot.pk}/premium/")
    assert response.status_code == 200
    return response.json()


def set_score(lot: Any, score: str, protocol: str) -> None:
    Lot.objects.filter(pk=lot.pk).update(official_score=Decimal(score), official_score_protocol=protocol)


def test_a_300_kg_lot_of_2019_20_is_compared_with_the_under_1000_lb_median(api, make_lot):
    """DOMAIN.md §6.1 and §7: lots < 1,000 lb, 2019/20 median $4.00 (2020 v3), not the all-lots $2.60."""
    lot = make_lot(
        price=Decimal("12.0000"), price_unit="lb", weight_kg=Decimal("300"), **harvest(datetime.date(2019, 11, 4))
    )
    set_score(lot, "87.00", "sca2004")  # an 86–87.99 band row exists too: the lot-size row still wins
    data = premium_of(api, lot)
    assert data["baseline_median"] == "4.0000" and data["premium_ratio"] == "3.000"
    assert data["baseline_edition"] == "2020 (v3)"
    assert (data["baseline_harvest_year"], data["baseline_harvest_label"]) == (2019, "2019/20")
    assert data["baseline_row"] == {"origin": "all", "score_band": "all", "size_band": "lt1000"}
    assert data["lot_size_band"] == "lt1000" and data["years_stale"] == 0 and data["stale"] is False
    assert (
        data["baseline_summary"]
        == "Transaction Guide 2020 (v3), harvest 2019/20, row: all origins · all scores · under 1,000 lb"
    )
    # The score band is still shown, as its own comparison with its own row named.
    assert (data["score_band"], data["band_median"], data["band_ratio"]) == ("86-88", "3.5000", "3.429")
    assert (
        data["band_summary"]
        == "Transaction Guide 2020 (v3), harvest 2019/20, row: all origins · 86–87.99 points · all lot sizes"
    )


def test_a_harvest_that_started_in_january_belongs_to_the_harvest_year_that_began_in_october(api, make_lot):
    """DOMAIN.md §6.1: harvest years run October–September; a harvest started Jan 2020 is 2019/20."""
    lot = make_lot(price=Decimal("12.0000"), price_unit="lb", **harvest(datetime.date(2020, 1, 20)))
    data = premium_of(api, lot)
    assert (data["lot_harvest_year"], data["lot_harvest_label"]) == (2019, "2019/20")
    assert data["baseline_harvest_label"] == "2019/20" and data["years_stale"] == 0
    october = make_lot(price=Decimal("12.0000"), price_unit="lb", **harvest(datetime.date(2020, 10, 1)))
    assert premium_of(api, october)["lot_harvest_label"] == "2020/21"


def test_a_5000_kg_lot_drops_lot_size_before_score_band(api, make_lot):
    """DOMAIN.md §6.1: no row for its lot size (1,000–10,000 lb), so the 86–87.99 band row, not all lots."""
    lot = make_lot(
        price=Decimal("7.0000"), price_unit="lb", weight_kg=Decimal("2500"), **harvest(datetime.date(2019, 11, 4))
    )
    set_score(lot, "86.50", "sca2004")
    data = premium_of(api, lot)
    assert data["baseline_row"] == {"origin": "all", "score_band": "86-88", "size_band": "all"}
    assert data["baseline_median"] == "3.5000" and data["premium_ratio"] == "2.000"


def test_an_origin_row_is_the_most_specific_when_it_exists(api, make_lot):
    from tests.pricing.conftest import baseline

    own = baseline(edition="test ET", origin="ET", harvest_year=2019, size_band="lt1000", median=Decimal("6.00"))
    lot = make_lot(country="ET", price=Decimal("12.0000"), price_unit="lb", **harvest(datetime.date(2019, 11, 4)))
    data = premium_of(api, lot)
    assert data["baseline"]["id"] == own.pk and data["baseline_row"]["origin"] == "ET"
    assert data["baseline_match"] == "origin_year" and data["premium_ratio"] == "2.000"


def test_a_cva_only_lot_is_compared_with_the_all_scores_row_and_says_so(api, make_lot):
    """DOMAIN.md §6.1: only SCA 2004 scores fall into Transaction Guide bands; CVA 88.25 has no band."""
    lot = make_lot(
        price=Decimal("7.8000"), price_unit="lb", weight_kg=Decimal("2500"), **harvest(datetime.date(2019, 11, 4))
    )
    set_score(lot, "88.25", "cva")
    data = premium_of(api, lot)
    assert data["baseline_row"] == {"origin": "all", "score_band": "all", "size_band": "all"}
    assert data["baseline_median"] == "2.6000" and data["premium_ratio"] == "3.000"
    assert (data["score_basis"], data["score_protocol"], data["score_value"]) == ("other_scale", "cva", "88.25")
    assert data["score_band"] == "" and data["band_ratio"] is None
    (note,) = [n for n in data["notes"] if n["code"] == "other_scale"]
    assert "CVA 88.25" in note["text"] and "SCA 2004 scale" in note["text"] and "all-scores row" in note["text"]


def test_a_sca_score_in_the_86_band_would_have_used_the_band_row(api, make_lot):
    """The same lot on the 2004 form: its band row ($3.50) is the most specific row."""
    lot = make_lot(
        price=Decimal("7.0000"), price_unit="lb", weight_kg=Decimal("2500"), **harvest(datetime.date(2019, 11, 4))
    )
    set_score(lot, "86.25", "sca2004")
    assert premium_of(api, lot)["baseline_row"]["score_band"] == "86-88"


def test_a_lot_scored_on_both_forms_takes_its_band_from_the_sca_2004_score(api, make_lot):
    """Per-protocol official scores: the catalogue may show CVA (more graders) yet SCA 2004 sets the band."""
    lot = make_lot(
        price=Decimal("7.0000"), price_unit="lb", weight_kg=Decimal("2500"), **harvest(datetime.date(2019, 11, 4))
    )
    set_score(lot, "84.50", "cva")
    lot.refresh_from_db()
    for protocol, mean, graders in (("cva", "84.50", 2), ("sca2004", "87.00", 1)):
        LotScore.objects.create(
            lot=lot, protocol=protocol, harvest_year=lot.harvest_year, mean=Decimal(mean), graders=graders, spread=0
        )
    data = premium_of(api, lot)
    assert (data["score_basis"], data["score_value"], data["score_band"]) == ("sca2004", "87.00", "86-88")
    assert data["baseline_row"]["score_band"] == "86-88"


def test_a_score_of_another_harvest_does_not_count(api, make_lot):
    """Only the lot's current harvest counts (issue 14): last year's SCA row is not this lot's score."""
    lot = make_lot(
        price=Decimal("7.0000"), price_unit="lb", weight_kg=Decimal("2500"), **harvest(datetime.date(2019, 11, 4))
    )
    LotScore.objects.create(lot=lot, protocol="sca2004", harvest_year=2018, mean=Decimal("87.00"), graders=1, spread=0)
    data = premium_of(api, lot)
    assert data["score_basis"] == "none" and data["baseline_row"]["score_band"] == "all"


def test_a_lot_without_a_row_for_its_year_is_compared_with_the_latest_edition_and_says_so(api, make_lot, client):
    """DOMAIN.md §6.1: "compared with 2022/23, the latest edition available"."""
    lot = make_lot(price=Decimal("30.0000"), **harvest(datetime.date(2024, 11, 1)))
    data = premium_of(api, lot)
    assert (data["lot_harvest_label"], data["baseline_harvest_label"]) == ("2024/25", "2022/23")
    assert data["baseline_edition"] == "2023 (v6, Jan 2024)" and data["years_stale"] == 2 and data["stale"] is True
    assert data["baseline_match"] == "all_origins_latest"
    (note,) = [n for n in data["notes"] if n["code"] == "stale_baseline"]
    assert "compared with 2022/23, the latest edition available" in note["text"]
    page = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert "compared with 2022/23, the latest edition available" in page
    assert (
        "Transaction Guide 2023 (v6, Jan 2024), harvest 2022/23, row: all origins · all scores · all lot sizes" in page
    )


def test_the_premium_row_keeps_naming_its_baseline_after_the_row_is_deleted(api, make_lot, moderator):
    from marketplace.pricing.models import LotPremium, SpecialtyBaseline

    lot = make_lot(price=Decimal("12.0000"), price_unit="lb", **harvest(datetime.date(2019, 11, 4)))
    lot_premium_recompute(lot_id=lot.pk)
    SpecialtyBaseline.objects.filter(size_band="lt1000").delete()  # a sweep follows in real life
    premium = LotPremium.objects.get(lot=lot)
    assert premium.baseline_id is None
    assert premium.baseline_summary.startswith("Transaction Guide 2020 (v3), harvest 2019/20")
