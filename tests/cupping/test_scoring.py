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
    """DOMAIN.md §2 worked example: 52.75 + 10/10/10 = 82.75. A tainted cup is not a clean cup
    (§2, cup-box consistency), so one taint costs the clean-cup points and the defect points."""
    values = sca(overall=D("7.75"))
    assert scoring.sca2004_score(values).final == D("82.75")
    one_taint = values | {"taint_cups": 1, "clean_cups": 4}
    assert scoring.parse_sca2004(one_taint).errors == {}
    tainted = scoring.sca2004_score(one_taint)
    assert (tainted.total, tainted.defects, tainted.final) == (D("80.75"), D("2.00"), D("78.75"))
    with_fault = scoring.sca2004_score(values | {"fault_cups": 1, "clean_cups": 4})
    assert (with_fault.total, with_fault.defects, with_fault.final) == (D("80.75"), D("4.00"), D("76.75"))
    both = scoring.sca2004_score(values | {"taint_cups": 2, "fault_cups": 3, "clean_cups": 0})
    assert both.final == D("82.75") - 10 - 4 - 12


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
    fault = draw(st.integers(0, 5 - taint))
    # DOMAIN.md §2: a tainted or faulted cup is not clean.
    values.update(taint_cups=taint, fault_cups=fault, clean_cups=draw(st.integers(0, 5 - taint - fault)))
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
    result = scoring.grade(counts={"broken": 25}, quakers=0, moisture_pct=D("11.0"), water_activity=D("0.55"))
    assert (result.category1, result.category2, result.specialty, result.reasons) == (0, 5, True, [])
    assert (result.rulebook, result.grade_class) == ("SCA-2018-350g", "specialty")


def test_every_failed_rule_is_a_reason():
    """DOMAIN.md §5 (SCA 2018, washed lot): bean size is never a reason."""
    result = scoring.grade(
        counts={"full_black": 1, "broken": 30},
        quakers=2,
        moisture_pct=D("12.5"),
        water_activity=D("0.70"),
    )
    assert not result.specialty
    assert result.reasons == ["moisture", "category1", "category2", "quakers", "water_activity"]


def test_grading_input_is_validated_per_field():
    parsed = scoring.parse_grading(
        {"defects": {"broken": -1, "mystery": 1}, "quakers": "", "moisture_pct": "40", "water_activity": "0.5555"}
    )
    assert set(parsed.errors) == {"defect_broken", "defects", "quakers", "moisture_pct", "water_activity"}


# --- Cup-box consistency (DOMAIN.md §2) --------------------------------------------------------


@pytest.mark.parametrize(("taint", "fault", "clean"), [(1, 0, 5), (0, 1, 5), (2, 1, 3), (0, 5, 1)])
def test_a_tainted_or_faulted_cup_cannot_also_be_clean(taint, fault, clean):
    """DOMAIN.md §2: clean cups ≤ 5 − (taint cups + fault cups); otherwise refused on clean_cups."""
    parsed = scoring.parse_sca2004(sca(taint_cups=taint, fault_cups=fault, clean_cups=clean))
    assert list(parsed.errors) == ["clean_cups"]
    assert f"at most {5 - taint - fault} of the 5 cups can be clean" in parsed.errors["clean_cups"][0]
    assert scoring.parse_sca2004(sca(taint_cups=taint, fault_cups=fault, clean_cups=5 - taint - fault)).errors == {}


# --- Cup of Excellence (DOMAIN.md §4) ----------------------------------------------------------


def coe(score: object = D("6.5"), **over: object) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(scoring.COE_ATTRIBUTES, score)
    values.update(defect_cups=0, defect_intensity=None)
    values.update(over)
    return values


@pytest.mark.parametrize(
    ("values", "total", "defects", "final"),
    [
        (coe(8), "100.00", "0.00", "100.00"),  # max 64 + 36 = 100
        (coe(0), "36.00", "0.00", "36.00"),  # sum + 36
        (coe(6), "84.00", "0.00", "84.00"),  # 48 + 36
        (coe(7), "92.00", "0.00", "92.00"),
        (coe("6.5"), "88.00", "0.00", "88.00"),  # half points: 52 + 36
        (coe(6, defect_cups=1, defect_intensity=2), "84.00", "8.00", "76.00"),  # 1 cup × 2 × 4
        (coe(7, defect_cups=2, defect_intensity=3), "92.00", "24.00", "68.00"),  # 2 × 3 × 4
        (coe(6, defect_cups=1, defect_intensity=1), "84.00", "4.00", "80.00"),  # 1 × 1 × 4
    ],
)
def test_coe_scores_are_the_sum_plus_36_minus_cups_times_intensity_times_4(values, total, defects, final):
    """DOMAIN.md §4: score = sum of eight attributes (0–8) + 36; defects = cups × intensity × 4."""
    parsed = scoring.parse_coe(values)
    assert parsed.errors == {}
    result = scoring.coe_score(parsed.values)
    assert (str(result.total), str(result.defects), str(result.final)) == (total, defects, final)


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("flavor", "8.5", "between 0 and 8"),
        ("flavor", "-0.5", "between 0 and 8"),
        ("flavor", "6.25", "steps of 0.5"),
        ("flavor", "", "required"),
        ("flavor", "٦", "Enter a number"),
        ("clean_cup", None, "required"),
        ("defect_cups", "6", "from 0 to 5"),
    ],
)
def test_coe_invalid_values_are_refused_on_their_field(field, raw, message):
    parsed = scoring.parse_coe(coe(**{field: raw}))
    assert list(parsed.errors) == [field]
    assert message in parsed.errors[field][0]


def test_coe_defect_intensity_is_1_to_3_when_a_cup_has_a_defect_and_empty_otherwise():
    assert list(scoring.parse_coe(coe(defect_cups=1)).errors) == ["defect_intensity"]
    assert list(scoring.parse_coe(coe(defect_cups=1, defect_intensity=4)).errors) == ["defect_intensity"]
    assert list(scoring.parse_coe(coe(defect_cups=0, defect_intensity=2)).errors) == ["defect_intensity"]
    assert scoring.parse_coe(coe(defect_cups=0, defect_intensity="")).errors == {}


def test_a_coe_sheet_cannot_score_below_zero():
    assert list(scoring.parse_coe(coe(0, defect_cups=5, defect_intensity=3)).errors) == ["defect_cups"]


@given(
    st.lists(st.integers(0, 16).map(lambda h: D(h) / 2), min_size=8, max_size=8),
    st.integers(0, 5),
    st.integers(1, 3),
)
def test_every_valid_coe_sheet_is_exact_and_within_bounds(halves, cups, intensity):
    values = dict(zip(scoring.COE_ATTRIBUTES, halves, strict=True)) | {
        "defect_cups": cups,
        "defect_intensity": intensity if cups else None,
    }
    parsed = scoring.parse_coe(values)
    expected = sum(halves, D(0)) + 36 - cups * (intensity if cups else 0) * 4
    if expected < 0:
        assert "defect_cups" in parsed.errors
        return
    assert parsed.errors == {}
    result = scoring.coe_score(parsed.values)
    assert result.final == expected
    low, high = scoring.SCORE_BOUNDS[scoring.COE]
    assert low <= result.final <= high


def test_score_labels_carry_their_scale():
    """DOMAIN.md §1: every displayed score names its form."""
    assert scoring.score_label("sca2004", D("87.25")) == "SCA 87.25"
    assert scoring.score_label("cva", D("84.5")) == "CVA 84.50"
    assert scoring.score_label("coe", D("88")) == "CoE 88.00"
    assert scoring.score_label("", D("80")) == "80.00"  # a legacy row without protocol: bare, never wrong
    assert scoring.score_label("sca2004", None) == ""


@pytest.mark.parametrize("raw", ["²", "½", "١٢", "٧.٥", "7.5\u200b", "1" * 30, "7.5 ", "\x00"])
def test_only_ascii_digits_are_numbers(raw):
    """Decimal() reads other scripts' digits and int() chokes on some isdigit() ones: refused."""
    expected = D("7.5") if raw == "7.5 " else None
    assert scoring.to_decimal(raw) == expected


# --- Green grading rulebooks (DOMAIN.md §5) ----------------------------------------------------


def test_bean_size_is_never_a_reason_the_grade_fails():
    """DOMAIN.md §5: screen size and off-screen share are contract information, not the grade."""
    assert "screen_off_pct" not in scoring.grade.__code__.co_varnames
    result = scoring.grade(counts={}, quakers=0, moisture_pct=D("11"), water_activity=D("0.5"))
    assert result.specialty


@pytest.mark.parametrize(
    ("process", "moisture", "specialty", "reasons", "warnings"),
    [
        ("washed", "12.5", False, ["moisture"], []),
        ("washed", "9.8", False, ["moisture"], []),
        ("washed", "12.0", True, [], []),
        ("natural", "12.5", True, [], ["moisture"]),
        ("honey", "12.6", True, [], ["moisture"]),
        ("natural", "11.5", True, [], []),
    ],
)
def test_moisture_limits_fail_washed_lots_and_warn_for_naturals_and_honeys(
    process, moisture, specialty, reasons, warnings
):
    """DOMAIN.md §5: 10–12 % is the washed-arabica limit; naturals and honeys get a warning."""
    result = scoring.grade(counts={}, quakers=0, moisture_pct=D(moisture), water_activity=D("0.55"), process=process)
    assert (result.specialty, result.reasons, result.warnings) == (specialty, reasons, warnings)


@pytest.mark.parametrize(
    ("counts", "quakers", "grade_class"),
    [
        ({"broken": 25}, 0, "specialty"),  # 5 full defects, no primary, no quaker
        ({"full_black": 1}, 0, "premium"),  # a primary defect: not specialty, ≤ 8 full defects
        ({"broken": 40}, 3, "premium"),  # 8 full defects and 3 quakers
        ({"broken": 40}, 4, "exchange"),  # more than 3 quakers
        ({"broken": 45}, 0, "exchange"),  # 9 full defects: Exchange 9–23
        ({"broken": 115}, 0, "exchange"),  # 23
        ({"broken": 120}, 0, "below_standard"),  # 24: Below standard 24–86
        ({"broken": 430}, 0, "below_standard"),  # 86
        ({"broken": 435}, 0, "off_grade"),  # 87: Off grade > 86
    ],
)
def test_a_300_g_sample_is_graded_on_the_older_scaa_rules(counts, quakers, grade_class):
    """DOMAIN.md §5: 300 g → older SCAA classification (Premium ≤ 8 full defects and ≤ 3 quakers,
    Exchange 9–23, Below standard 24–86, Off grade > 86), stored with its rulebook."""
    result = scoring.grade(
        counts=counts, quakers=quakers, moisture_pct=D("11"), water_activity=D("0.55"), sample_grams=300
    )
    assert (result.rulebook, result.grade_class) == ("SCAA-legacy-300g", grade_class)
    assert result.specialty is (grade_class == "specialty")


def test_the_older_rules_use_their_own_moisture_limits_never_the_350_g_ones():
    """DOMAIN.md §5: older SCAA moisture 9–13 %; SCA 2018 10–12 %."""
    kwargs = {"counts": {}, "quakers": 0, "moisture_pct": D("12.8"), "water_activity": D("0.5")}
    assert scoring.grade(**kwargs, sample_grams=300).specialty
    assert not scoring.grade(**kwargs, sample_grams=350).specialty
    # Water activity is not part of the older rules: recorded only.
    assert scoring.grade(**kwargs | {"water_activity": D("0.75")}, sample_grams=300).specialty


@pytest.mark.parametrize("grams", ["250", "400", "1000"])
def test_other_sample_sizes_have_no_rulebook_and_are_refused(grams):
    parsed = scoring.parse_grading({"quakers": 0, "moisture_pct": "11", "water_activity": "0.5", "sample_grams": grams})
    assert list(parsed.errors) == ["sample_grams"]
    assert "350 g" in parsed.errors["sample_grams"][0] and "300 g" in parsed.errors["sample_grams"][0]
