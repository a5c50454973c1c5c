"""Exact scores on the fixed points of DOMAIN.md §2–3, and property tests of the validators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cupping import scoring

D = Decimal


def sca(**over: object) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(scoring.SCA_QUALITY, D("7.50"))
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    values.update(over)
    return values


def cva(h: int = 5, **over: object) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(scoring.CVA_AFFECTIVE, h)
    values.update(non_uniform_cups=0, defective_cups=0)
    values.update(over)
    return values


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (cva(1), D("58.00")),
        (cva(5), D("79.00")),
        (cva(9), D("100.00")),
        (cva(5, non_uniform_cups=1), D("77.00")),
        (cva(5, defective_cups=1), D("75.00")),
        (cva(5, overall=6), D("79.75")),  # 79.65625 rounds to the nearest quarter
    ],
)
def test_cva_fixed_points_from_the_domain_table(values, expected):
    assert scoring.parse_cva(values).errors == {}
    assert scoring.cva_score(values).final == expected


@pytest.mark.parametrize(("total_h", "expected"), [(12, D("60.75")), (44, D("81.75"))])
def test_cva_exact_ties_round_half_up(total_h, expected):
    # Σh ≡ 4 (mod 8) lands exactly between two quarters: 60.625 → 60.75, 81.625 → 81.75.
    base, extra = divmod(total_h, 8)
    values = dict.fromkeys(scoring.CVA_AFFECTIVE, base)
    for name in scoring.CVA_AFFECTIVE[:extra]:
        values[name] += 1
    values.update(non_uniform_cups=0, defective_cups=0)
    assert sum(values[n] for n in scoring.CVA_AFFECTIVE) == total_h
    assert scoring.cva_score(values).final == expected


def test_sca_perfect_sheet_is_100():
    assert scoring.sca2004_score(sca(**dict.fromkeys(scoring.SCA_QUALITY, D("10")))).final == D("100.00")


def test_sca_worked_example_and_defects_subtract_2_per_taint_4_per_fault():
    values = sca(overall=D("7.75"))
    assert scoring.sca2004_score(values).final == D("82.75")
    assert scoring.sca2004_score(values | {"taint_cups": 1}).final == D("80.75")
    with_fault = scoring.sca2004_score(values | {"fault_cups": 1})
    assert (with_fault.total, with_fault.defects, with_fault.final) == (D("82.75"), D("4.00"), D("78.75"))
    assert scoring.sca2004_score(values | {"taint_cups": 2, "fault_cups": 3}).final == D("82.75") - 4 - 12


def test_sca_cups_count_two_points_each():
    assert scoring.sca2004_score(sca(uniform_cups=4)).final == scoring.sca2004_score(sca()).final - 2


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("flavor", "5.75", "between 6.00 and 10.00"),
        ("flavor", "10.25", "between 6.00 and 10.00"),
        ("flavor", "7.3", "steps of 0.25"),
        ("flavor", "abc", "Enter a number"),
        ("flavor", "", "required"),
        ("uniform_cups", "6", "from 0 to 5"),
        ("uniform_cups", "2.5", "whole number"),
        ("taint_cups", "-1", "from 0 to 5"),
        ("acidity_intensity", "loud", "low, medium or high"),
    ],
)
def test_sca_invalid_values_have_a_clear_message_on_their_field(field, raw, message):
    parsed = scoring.parse_sca2004(sca(**{field: raw}))
    assert list(parsed.errors) == [field]
    assert message in parsed.errors[field][0]


def test_taint_plus_fault_cannot_exceed_five_cups():
    assert "fault_cups" in scoring.parse_sca2004(sca(taint_cups=3, fault_cups=3)).errors


@pytest.mark.parametrize(
    ("field", "raw"), [("aroma", 0), ("aroma", 10), ("aroma", "5.5"), ("defective_cups", 6), ("overall", None)]
)
def test_cva_invalid_values_are_refused_on_their_field(field, raw):
    assert list(scoring.parse_cva(cva(**{field: raw})).errors) == [field]


def test_cva_descriptive_part_is_validated():
    parsed = scoring.parse_cva(cva(intensities={"acidity": 16, "body": 3}, descriptors=["floral", "smoky"]))
    assert set(parsed.errors) == {"intensity_acidity", "intensities", "descriptors"}
    ok = scoring.parse_cva(cva(intensities={"acidity": 15, "sweetness": 0}, descriptors="fruity|floral"))
    assert ok.errors == {}
    assert ok.values["intensities"] == {"acidity": 15, "sweetness": 0}
    assert ok.values["descriptors"] == ["floral", "fruity"]


def test_json_floats_become_exact_decimals():
    assert scoring.to_decimal(7.75) == D("7.75")
    assert scoring.to_decimal("7,75") == D("7.75")
    assert scoring.to_decimal("NaN") is None
    assert scoring.to_decimal(True) is None


# --- Properties ------------------------------------------------------------------------------

quarters = st.integers(min_value=24, max_value=40).map(lambda q: D(q) / 4)
cups = st.integers(min_value=0, max_value=5)


@st.composite
def valid_sca(draw: st.DrawFn) -> dict[str, object]:
    values: dict[str, object] = {n: draw(quarters) for n in scoring.SCA_QUALITY}
    values.update({n: draw(cups) for n in scoring.SCA_CUPS})
    taint = draw(cups)
    values.update(taint_cups=taint, fault_cups=draw(st.integers(0, 5 - taint)))
    return values


@st.composite
def valid_cva(draw: st.DrawFn) -> dict[str, object]:
    values: dict[str, object] = {n: draw(st.integers(1, 9)) for n in scoring.CVA_AFFECTIVE}
    values.update({n: draw(cups) for n in scoring.CVA_CUPS})
    return values


@given(valid_sca())
def test_every_valid_sca_sheet_scores_within_bounds(values):
    parsed = scoring.parse_sca2004(values)
    assert parsed.errors == {}
    result = scoring.sca2004_score(parsed.values)
    low, high = scoring.SCORE_BOUNDS[scoring.SCA2004]
    assert low <= result.final <= high
    assert result.final == result.total - result.defects
    assert result.final.as_tuple().exponent == -2


@given(valid_cva())
def test_every_valid_cva_sheet_scores_within_bounds_on_a_quarter(values):
    parsed = scoring.parse_cva(values)
    assert parsed.errors == {}
    result = scoring.cva_score(parsed.values)
    low, high = scoring.SCORE_BOUNDS[scoring.CVA]
    assert low <= result.final <= high
    assert (result.final * 4) % 1 == 0
    if not values["non_uniform_cups"] and not values["defective_cups"]:
        assert D("58") <= result.final


out_of_range_quality = st.one_of(
    st.decimals(max_value=D("5.99"), allow_nan=False, allow_infinity=False, places=2),
    st.decimals(min_value=D("10.01"), allow_nan=False, allow_infinity=False, places=2),
    st.integers(24, 39).map(lambda q: D(q) / 4 + D("0.1")),  # in range, off the 0.25 grid
)


@given(valid_sca(), st.sampled_from(scoring.SCA_QUALITY), out_of_range_quality)
def test_each_invalid_sca_quality_score_is_refused(values, field, bad):
    parsed = scoring.parse_sca2004(values | {field: bad})
    assert field in parsed.errors


@given(
    valid_cva(),
    st.sampled_from(scoring.CVA_AFFECTIVE),
    st.one_of(st.integers(max_value=0), st.integers(min_value=10), st.sampled_from(["4.5", "x", ""])),
)
def test_each_invalid_cva_score_is_refused(values, field, bad):
    assert field in scoring.parse_cva(values | {field: bad}).errors


@given(
    valid_sca(),
    st.sampled_from(scoring.SCA_CUPS + scoring.CVA_CUPS),
    st.one_of(st.integers(max_value=-1), st.integers(min_value=6)),
)
def test_each_invalid_cup_count_is_refused(values, field, bad):
    if field in scoring.SCA_CUPS:
        assert field in scoring.parse_sca2004(values | {field: bad}).errors
    else:
        assert field in scoring.parse_cva(dict.fromkeys(scoring.CVA_AFFECTIVE, 5) | {field: bad}).errors


# --- Green grading ---------------------------------------------------------------------------


def test_full_defects_floor_per_type_with_the_sca_table():
    per_type = scoring.full_defects(
        {"full_black": 2, "severe_insect_damage": 9, "partial_sour": 7, "slight_insect_damage": 19}
    )
    assert per_type["full_black"] == 2
    assert per_type["severe_insect_damage"] == 1
    assert per_type["partial_sour"] == 2
    assert per_type["slight_insect_damage"] == 1


def test_clean_sample_is_specialty_grade():
    result = scoring.grade(
        counts={"broken": 25}, quakers=0, moisture_pct=D("11.0"), water_activity=D("0.55"), screen_off_pct=D("5")
    )
    assert (result.category1, result.category2, result.specialty, result.reasons) == (0, 5, True, [])


def test_every_failed_rule_is_a_reason():
    result = scoring.grade(
        counts={"full_black": 1, "broken": 30},
        quakers=2,
        moisture_pct=D("12.5"),
        water_activity=D("0.70"),
        screen_off_pct=D("6"),
    )
    assert not result.specialty
    assert result.reasons == ["category1", "category2", "quakers", "moisture", "water_activity", "screen"]


def test_grading_input_is_validated_per_field():
    parsed = scoring.parse_grading(
        {"defects": {"broken": -1, "mystery": 1}, "quakers": "", "moisture_pct": "40", "water_activity": "0.5555"}
    )
    assert set(parsed.errors) == {"defect_broken", "defects", "quakers", "moisture_pct", "water_activity"}
