"""Normalisation to FOB USD/lb, the choice of baseline, band position and the moderation flags."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.money import KG_PER_LB
from core.signals import evidence_changed
from lots.models import Lot
from marketplace.pricing.compute import q_price, q_ratio
from marketplace.pricing.models import IncotermAdjustment, LotPremium, SpecialtyBaseline
from marketplace.pricing.services import lot_premium_recompute
from tests.pricing.conftest import baseline, verified_result

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def only_test_baselines(db):
    # The seeded Transaction Guide rows would win some fallbacks; each test states its own.
    SpecialtyBaseline.objects.all().delete()


def test_seed_migration_loads_only_the_domain_figures_each_with_its_edition(django_db_setup):
    from importlib import import_module

    from django.apps import apps as django_apps

    seed = import_module("marketplace.pricing.migrations.0002_seed_reference_data")
    seed.seed(django_apps, None)
    rows = {(b.edition, b.harvest_year, b.score_band, b.size_band): b for b in SpecialtyBaseline.objects.all()}
    assert len(rows) == 7
    overall = rows[("2020 (v3)", 2019, "all", "all")]
    assert (overall.p25, overall.median, overall.p75) == (Decimal("1.90"), Decimal("2.60"), Decimal("3.50"))
    assert rows[("2020 (v3)", 2019, "86-88", "all")].median == Decimal("3.50")
    assert rows[("2020 (v3)", 2019, "all", "lt1000")].median == Decimal("4.00")
    assert rows[("2023 (v6, Jan 2024)", 2022, "all", "all")].median == Decimal("3.40")
    assert all(b.source.startswith("Specialty Coffee Transaction Guide") for b in rows.values())
    assert all(a.note.startswith("Our assumption") for a in IncotermAdjustment.objects.all())


@pytest.mark.parametrize(
    ("price", "unit", "expected_fob"),
    [
        (Decimal("30.0000"), "kg", q_price(Decimal("30") * KG_PER_LB)),  # 13.6078
        (Decimal("12.0000"), "lb", Decimal("12.0000")),
    ],
)
def test_price_unit_is_normalised_to_usd_per_lb(make_lot, price, unit, expected_fob):
    baseline(median=Decimal("4.00"))
    lot = make_lot(price=price, price_unit=unit)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.fob_usd_per_lb == expected_fob
    assert premium.premium_ratio == q_ratio(expected_fob / Decimal("4.00"))
    assert premium.status == "ok"


def test_price_per_kg_in_usd_for_the_high_price_check_comes_from_a_per_lb_price(make_lot):
    baseline()
    lot = make_lot(price=Decimal("100.0000"), price_unit="lb")
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.asking_usd_per_kg == Decimal("220.4623")
    assert premium.flag_high_price


def test_currency_uses_the_latest_rate_and_records_its_date(make_lot, eur_rate):
    baseline(median=Decimal("5.00"))
    lot = make_lot(price=Decimal("20.0000"), currency="EUR", price_unit="lb")
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.fob_usd_per_lb == Decimal("22.0000")  # 20 EUR × 1.10, not the older 1.05
    assert premium.rate_valid_on == eur_rate.valid_on
    assert premium.premium_ratio == Decimal("4.400")


def test_currency_without_a_rate_gets_no_premium_and_says_why(make_lot):
    baseline()
    lot = make_lot(price=Decimal("20.0000"), currency="BRL")
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.status == "no_rate"
    assert premium.premium_ratio is None
    lot.refresh_from_db()
    assert lot.premium_ratio is None


@pytest.mark.parametrize(
    ("incoterm", "adjustment"),
    [("FOB", Decimal("0")), ("EXW", Decimal("0.15")), ("FCA", Decimal("0.05")), ("CIF", Decimal("-0.30"))],
)
def test_incoterm_is_adjusted_to_fob_with_the_default_table(make_lot, incoterm, adjustment):
    baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("10.0000"), price_unit="lb", incoterm=incoterm)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.fob_usd_per_lb == Decimal("10.0000") + adjustment
    assert premium.incoterm_adjustment == adjustment


def test_an_origin_row_overrides_the_all_origins_adjustment(make_lot):
    baseline()
    IncotermAdjustment.objects.create(origin="ET", incoterm="CIF", usd_per_lb=Decimal("-0.4500"))
    ethiopian = make_lot(price=Decimal("10.0000"), price_unit="lb", incoterm="CIF", country="ET")
    colombian = make_lot(price=Decimal("10.0000"), price_unit="lb", incoterm="CIF", country="CO")
    assert lot_premium_recompute(lot_id=ethiopian.pk).fob_usd_per_lb == Decimal("9.5500")
    assert lot_premium_recompute(lot_id=colombian.pk).fob_usd_per_lb == Decimal("9.7000")


def test_incoterm_without_an_adjustment_gets_no_premium(make_lot):
    baseline()
    IncotermAdjustment.objects.filter(incoterm="DDP").delete()
    lot = make_lot(price=Decimal("10.0000"), price_unit="lb", incoterm="DDP")
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.status == "no_adjustment"
    assert premium.premium_ratio is None


# --- choice of baseline ----------------------------------------------------------------------


def test_baseline_for_origin_and_harvest_year_is_preferred(make_lot):
    exact = baseline(origin="CO", harvest_year=2025, median=Decimal("5.00"))
    baseline(origin="", harvest_year=2025, median=Decimal("4.00"))
    lot = make_lot(price=Decimal("10.0000"), price_unit="lb", harvest_year=2025)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.baseline_id, premium.baseline_match) == (exact.pk, "origin_year")
    assert premium.premium_ratio == Decimal("2.000")


def test_baseline_falls_back_to_all_origins_of_the_same_year(make_lot):
    all_origins = baseline(origin="", harvest_year=2025, median=Decimal("4.00"))
    baseline(origin="CO", harvest_year=2022, median=Decimal("3.00"))
    baseline(origin="ET", harvest_year=2025, median=Decimal("6.00"))
    lot = make_lot(price=Decimal("10.0000"), price_unit="lb", harvest_year=2025)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.baseline_id, premium.baseline_match) == (all_origins.pk, "all_origins_year")


def test_the_nearest_earlier_harvest_year_wins_over_an_origin_row_of_an_older_year(make_lot):
    """DOMAIN.md §6.1: the exact harvest year first, else the nearest earlier year; origin is given up first.

    (The old rule took the origin's latest row whatever its year; the harvest year now comes first.)
    """
    nearest = baseline(origin="", harvest_year=2022, median=Decimal("3.40"))
    baseline(origin="CO", harvest_year=2021, median=Decimal("3.00"))
    lot = make_lot(price=Decimal("9.0000"), price_unit="lb", harvest_year=2025)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.baseline_id, premium.baseline_match) == (nearest.pk, "all_origins_latest")
    assert (premium.lot_harvest_year, premium.baseline_harvest_year, premium.years_stale) == (2025, 2022, 3)


def test_an_origin_row_of_an_earlier_year_is_used_when_that_year_is_the_nearest(make_lot):
    origin_row = baseline(origin="CO", harvest_year=2023, median=Decimal("3.00"))
    baseline(origin="", harvest_year=2022, median=Decimal("3.40"))
    lot = make_lot(price=Decimal("9.0000"), price_unit="lb", harvest_year=2025)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.baseline_id, premium.baseline_match) == (origin_row.pk, "origin_latest")
    assert premium.premium_ratio == Decimal("3.000")


def test_a_baseline_of_a_later_harvest_year_is_never_used(make_lot):
    """DOMAIN.md §6.1: only the nearest EARLIER year may stand in for the lot's own."""
    baseline(origin="", harvest_year=2026, median=Decimal("3.40"))
    lot = make_lot(price=Decimal("9.0000"), price_unit="lb", harvest_year=2025)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.status == "no_baseline" and premium.premium_ratio is None


def test_baseline_falls_back_to_all_origins_latest_year_and_newest_edition(make_lot):
    baseline(edition="2022 (v5)", origin="", harvest_year=2021, median=Decimal("3.50"))
    baseline(edition="old", origin="", harvest_year=2022, median=Decimal("9.00"), published_on="2020-01-01")
    newest = baseline(
        edition="2023 (v6)", origin="", harvest_year=2022, median=Decimal("3.40"), published_on="2024-01-01"
    )
    lot = make_lot(price=Decimal("6.8000"), price_unit="lb", harvest_year=2025, country="KE")
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.baseline_id, premium.baseline_match) == (newest.pk, "all_origins_latest")
    assert premium.premium_ratio == Decimal("2.000")


def test_a_lot_under_1000_lb_is_compared_with_its_lot_size_row(make_lot):
    """DOMAIN.md §6.1: small lots trade far above the all-lots median, so the lot-size row wins.

    (The old rule never used lot-size rows; 300 kg is 661 lb.)
    """
    small = baseline(size_band="lt1000", median=Decimal("4.00"))
    baseline(median=Decimal("2.60"))
    lot = make_lot(price=Decimal("8.0000"), price_unit="lb", weight_kg=Decimal("300"))
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.baseline_id == small.pk and premium.premium_ratio == Decimal("2.000")
    assert (premium.lot_size_band, premium.baseline_size_band) == ("lt1000", "lt1000")


@pytest.mark.parametrize(
    ("weight", "band"),
    [
        ("453.59", "lt1000"),  # 999.99 lb
        ("453.60", "1000-10000"),  # 1,000.0 lb: the next band starts at 1,000 lb
        ("18143.69", "10000-40000"),
        ("18143.70", "gt40000"),
    ],
)
def test_the_lot_size_band_follows_the_weight_in_lb(make_lot, weight, band):
    baseline()
    lot = make_lot(price=Decimal("8.0000"), price_unit="lb", weight_kg=Decimal(weight))
    assert lot_premium_recompute(lot_id=lot.pk).lot_size_band == band


def test_a_lot_of_another_size_uses_the_all_sizes_row(make_lot):
    baseline(size_band="lt1000", median=Decimal("1.00"))
    standard = baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("8.0000"), price_unit="lb", weight_kg=Decimal("5000"))
    assert lot_premium_recompute(lot_id=lot.pk).baseline_id == standard.pk


def test_no_baseline_at_all_leaves_the_ratio_empty(make_lot):
    lot = make_lot(price=Decimal("8.0000"), price_unit="lb")
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.status == "no_baseline"
    assert premium.fob_usd_per_lb == Decimal("8.0000")


# --- score band -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "position"),
    [
        ("2.50", "below_p25"),
        ("3.00", "p25_median"),
        ("3.50", "median_p75"),
        ("4.50", "median_p75"),
        ("4.51", "above_p75"),
    ],
)
def test_ratio_to_the_lots_own_score_band_and_its_percentile_position(make_lot, price, position):
    baseline(median=Decimal("2.60"))
    band = baseline(score_band="86-88", p25=Decimal("3.00"), median=Decimal("3.50"), p75=Decimal("4.50"))
    lot = make_lot(price=Decimal(price), price_unit="lb")
    Lot.objects.filter(pk=lot.pk).update(official_score=Decimal("87.25"))
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.score_band, premium.band_baseline_id, premium.band_position) == ("86-88", band.pk, position)
    assert premium.band_ratio == q_ratio(Decimal(price) / Decimal("3.50"))


def test_band_with_only_a_median_says_above_or_below_it(make_lot):
    baseline()
    baseline(score_band="82-84", median=Decimal("1.90"))
    lot = make_lot(price=Decimal("1.5000"), price_unit="lb")
    Lot.objects.filter(pk=lot.pk).update(official_score=Decimal("83.00"))
    assert lot_premium_recompute(lot_id=lot.pk).band_position == "below_median"


# --- flags ------------------------------------------------------------------------------------


def test_micro_lot_under_2x_is_flagged_but_a_regular_lot_is_not(make_lot):
    baseline(median=Decimal("4.00"))
    micro = make_lot(price=Decimal("7.9900"), price_unit="lb", weight_kg=Decimal("300"))
    regular = make_lot(price=Decimal("7.9900"), price_unit="lb", weight_kg=Decimal("5000"))
    at_two = make_lot(price=Decimal("8.0000"), price_unit="lb", weight_kg=Decimal("300"))
    assert lot_premium_recompute(lot_id=micro.pk).flags == ["under_2x"]
    assert lot_premium_recompute(lot_id=regular.pk).flags == []
    assert lot_premium_recompute(lot_id=at_two.pk).flags == []


def test_over_10x_is_flagged_unless_nano_or_a_verified_competition_lot(make_lot):
    """DOMAIN.md §7: competition provenance is a VERIFIED result; a bare tag is not evidence.

    (The old rule excused any lot tagged ``competition``, including the automatic nano-lot alert.)
    """
    baseline(median=Decimal("4.00"))
    plain = make_lot(price=Decimal("40.0100"), price_unit="lb")
    nano = make_lot(price=Decimal("40.0100"), price_unit="lb", weight_kg=Decimal("20"))
    tagged = make_lot(price=Decimal("40.0100"), price_unit="lb", tags=("competition",))
    competition = make_lot(price=Decimal("40.0100"), price_unit="lb")
    verified_result(competition)
    pending = make_lot(price=Decimal("40.0100"), price_unit="lb")
    verified_result(pending, status="pending")
    assert "over_10x" in lot_premium_recompute(lot_id=plain.pk).flags
    assert "over_10x" not in lot_premium_recompute(lot_id=nano.pk).flags
    assert "over_10x" in lot_premium_recompute(lot_id=tagged.pk).flags
    assert "over_10x" in lot_premium_recompute(lot_id=pending.pk).flags
    premium = lot_premium_recompute(lot_id=competition.pk)
    assert "over_10x" not in premium.flags and premium.competition_excused
    assert [n["code"] for n in premium.notes] == ["competition_lot"]


def test_200_usd_per_kg_needs_verified_competition_provenance_or_a_90_sca_score(make_lot):
    baseline(median=Decimal("4.00"))
    plain = make_lot(price=Decimal("200.0000"), weight_kg=Decimal("20"))
    just_under = make_lot(price=Decimal("199.9999"), weight_kg=Decimal("20"))
    competition = make_lot(price=Decimal("250.0000"), weight_kg=Decimal("20"))
    verified_result(competition)
    scored = make_lot(price=Decimal("250.0000"), weight_kg=Decimal("20"))
    Lot.objects.filter(pk=scored.pk).update(official_score=Decimal("90.00"), official_score_protocol="sca2004")
    assert lot_premium_recompute(lot_id=plain.pk).flags == ["high_price"]
    assert lot_premium_recompute(lot_id=just_under.pk).flags == []
    assert lot_premium_recompute(lot_id=competition.pk).flags == []
    assert lot_premium_recompute(lot_id=scored.pk).flags == []


def test_a_cva_90_score_does_not_excuse_a_high_price_by_default(make_lot):
    """DOMAIN.md §6.1/§7: the 90+ exemption is on the SCA 2004 scale; CVA has no mapping (our default: none)."""
    baseline(median=Decimal("4.00"))
    cva = make_lot(price=Decimal("250.0000"), weight_kg=Decimal("20"))
    Lot.objects.filter(pk=cva.pk).update(official_score=Decimal("92.50"), official_score_protocol="cva")
    assert lot_premium_recompute(lot_id=cva.pk).flags == ["high_price"]


def test_a_cva_threshold_can_be_configured_for_the_high_price_exemption(make_lot, settings):
    import importlib

    from marketplace.pricing import conf

    baseline(median=Decimal("4.00"))
    cva = make_lot(price=Decimal("250.0000"), weight_kg=Decimal("20"))
    Lot.objects.filter(pk=cva.pk).update(official_score=Decimal("92.50"), official_score_protocol="cva")
    settings.PRICING_HIGH_SCORE_CVA = "92"
    try:
        importlib.reload(conf)
        assert lot_premium_recompute(lot_id=cva.pk).flags == []
    finally:
        del settings.PRICING_HIGH_SCORE_CVA
        importlib.reload(conf)
    assert conf.HIGH_SCORE_CVA is None


# --- storage and the premium signal -----------------------------------------------------------


def test_ratio_is_copied_to_the_lot_and_a_change_is_announced_once(make_lot):
    baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("12.0000"), price_unit="lb")
    seen: list[tuple[int, str]] = []

    def receiver(sender, lot_id, kind, **kwargs):
        seen.append((lot_id, kind))

    evidence_changed.connect(receiver)
    try:
        lot_premium_recompute(lot_id=lot.pk)
        lot_premium_recompute(lot_id=lot.pk)  # same figures: no second announcement
        Lot.objects.filter(pk=lot.pk).update(price=Decimal("16.0000"))
        lot_premium_recompute(lot_id=lot.pk)
    finally:
        evidence_changed.disconnect(receiver)
    lot.refresh_from_db()
    assert lot.premium_ratio == Decimal("4.000")
    assert seen == [(lot.pk, "premium"), (lot.pk, "premium")]
    assert LotPremium.objects.filter(lot=lot).count() == 1


def test_a_group_lot_without_a_farm_takes_its_origin_from_the_producer(producer):
    from tests.factories import LotFactory

    exact = baseline(origin="CO", harvest_year=2025, median=Decimal("5.00"))
    baseline(origin="", harvest_year=2025, median=Decimal("4.00"))
    lot = LotFactory(producer=producer, farm=None, price=Decimal("10.0000"), price_unit="lb")
    assert lot.origin_country == "CO"
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert (premium.baseline_id, premium.baseline_match) == (exact.pk, "origin_year")
