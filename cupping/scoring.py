"""Pure, exact scoring and validation for cupping sheets and green-grading reports.

No database access here: the browser form, the API, the CSV import and the tests all call these
functions, so a score can only ever be computed one way. Formulas: DOMAIN.md §2 (SCA 2004),
§3 (CVA affective form), §4 (Cup of Excellence form) and §5 (green grading).

Three protocols, three scales: a score is always shown and stored with its protocol and is never
averaged with, or ranked against, a score of another protocol (DOMAIN.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

SCA2004 = "sca2004"
CVA = "cva"
COE = "coe"
PROTOCOLS = (SCA2004, CVA, COE)
# The version of each paper form whose fields and formula we implement.
FORM_VERSIONS = {SCA2004: "SCA-2004", CVA: "CVA-2024-affective-1.0", COE: "CoE-8-attributes"}
# Short scale labels shown with every score ("SCA 87.25", "CVA 84.50", "CoE 88.00").
PROTOCOL_SHORT: dict[str, Any] = {SCA2004: _("SCA"), CVA: _("CVA"), COE: _("CoE")}
# Which protocol's score is a lot's primary (catalogue) score when it has several: SCA 2004 is
# still the lingua franca of offer lists and the Transaction Guide's scale (DOMAIN.md §1, §6.1),
# then CVA (the SCA standard since 2024), then the CoE form (competition juries).
PRIMARY_ORDER = (SCA2004, CVA, COE)

SCA_QUALITY = ("fragrance_aroma", "flavor", "aftertaste", "acidity", "body", "balance", "overall")
SCA_CUPS = ("uniform_cups", "clean_cups", "sweet_cups")
SCA_DEFECTS = ("taint_cups", "fault_cups")
SCA_FIELDS = SCA_QUALITY + SCA_CUPS + SCA_DEFECTS
# The order of the ten attributes on the paper form (and on the radar chart).
SCA_ATTRIBUTES = (
    "fragrance_aroma",
    "flavor",
    "aftertaste",
    "acidity",
    "body",
    "balance",
    "uniformity",
    "clean_cup",
    "sweetness",
    "overall",
)

CVA_AFFECTIVE = ("fragrance", "aroma", "flavor", "aftertaste", "acidity", "sweetness", "mouthfeel", "overall")
CVA_CUPS = ("non_uniform_cups", "defective_cups")
CVA_FIELDS = CVA_AFFECTIVE + CVA_CUPS
CVA_INTENSITIES = ("fragrance", "aroma", "flavor", "aftertaste", "acidity", "sweetness", "mouthfeel")
# Check-all-that-apply categories of the CVA descriptive form.
CVA_DESCRIPTORS = (
    "floral",
    "fruity",
    "sour_fermented",
    "green_vegetative",
    "roasted",
    "nutty_cocoa",
    "spice",
    "sweet",
    "other",
)
DESCRIPTOR_LABELS = {
    "floral": _("Floral"),
    "fruity": _("Fruity"),
    "sour_fermented": _("Sour / fermented"),
    "green_vegetative": _("Green / vegetative"),
    "roasted": _("Roasted"),
    "nutty_cocoa": _("Nutty / cocoa"),
    "spice": _("Spice"),
    "sweet": _("Sweet"),
    "other": _("Other"),
}
INTENSITY_MARKS = ("low", "medium", "high")

# Cup of Excellence form (DOMAIN.md §4): eight attributes on 0–8, score = sum + 36, defects =
# cups × intensity (1–3) × 4. The form's anchors are 0, 4, 6, 7, 8 with intermediate points
# allowed; we accept half points (0.5 steps), as CoE jury sheets are commonly marked (our choice).
COE_ATTRIBUTES = ("clean_cup", "sweetness", "acidity", "mouthfeel", "flavor", "aftertaste", "balance", "overall")
COE_DEFECTS = ("defect_cups", "defect_intensity")
COE_FIELDS = COE_ATTRIBUTES + COE_DEFECTS
COE_MIN, COE_MAX, COE_STEP = Decimal("0"), Decimal("8"), Decimal("0.5")
COE_OFFSET = Decimal("36")
COE_DEFECT_FACTOR = 4
COE_INTENSITY_MIN, COE_INTENSITY_MAX = 1, 3

FIELD_LABELS: dict[str, Any] = {
    "fragrance_aroma": _("Fragrance/aroma"),
    "fragrance": _("Fragrance"),
    "aroma": _("Aroma"),
    "flavor": _("Flavor"),
    "aftertaste": _("Aftertaste"),
    "acidity": _("Acidity"),
    "body": _("Body"),
    "balance": _("Balance"),
    "overall": _("Overall"),
    "sweetness": _("Sweetness"),
    "mouthfeel": _("Mouthfeel"),
    "uniformity": _("Uniformity"),
    "clean_cup": _("Clean cup"),
    "uniform_cups": _("Uniform cups (of 5)"),
    "clean_cups": _("Clean cups (of 5)"),
    "sweet_cups": _("Sweet cups (of 5)"),
    "taint_cups": _("Cups with a taint"),
    "fault_cups": _("Cups with a fault"),
    "non_uniform_cups": _("Non-uniform cups"),
    "defective_cups": _("Defective cups"),
    "defect_cups": _("Cups with a defect"),
    "defect_intensity": _("Defect intensity (1–3)"),
}

CUPS = 5
SCA_MIN, SCA_MAX, SCA_STEP = Decimal("6.00"), Decimal("10.00"), Decimal("0.25")
CVA_MIN, CVA_MAX = 1, 9
INTENSITY_MIN, INTENSITY_MAX = 0, 15
CVA_FACTOR, CVA_OFFSET = Decimal("0.65625"), Decimal("52.75")
QUARTER = Decimal("0.25")
CENT = Decimal("0.01")
MAX_NUMBER_CHARS = 20

# Score bounds per protocol (the property tests hold every valid sheet to these).
SCORE_BOUNDS = {
    SCA2004: (Decimal("0"), Decimal("100")),
    CVA: (Decimal("28"), Decimal("100")),
    COE: (Decimal("0"), Decimal("100")),
}


@dataclass(frozen=True)
class Score:
    total: Decimal
    defects: Decimal
    final: Decimal


@dataclass
class Parsed:
    """Validated values (Decimals and ints) and the per-field errors found."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: Any) -> None:
        self.errors.setdefault(name, []).append(str(message))


def to_decimal(raw: Any) -> Decimal | None:
    """A Decimal from a form/JSON/CSV value, never through float; None if it is not a number."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # JSON numbers arrive as floats: use their shortest repr
    else:
        text = str(raw).strip().replace(",", ".") if isinstance(raw, str) else str(raw)
        # Only the digits 0–9: Decimal() also reads other scripts' digits ("١٢" is 12) and int()
        # refuses some that str.isdigit() accepts ("²"), so a cell must never reach them unchecked.
        # No score needs more than a few characters; a long cell is not a number.
        if not text or not text.isascii() or len(text) > MAX_NUMBER_CHARS:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    if not value.is_finite():
        return None
    return value


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _blank_is_zero(raw: Any) -> Any:
    return 0 if _is_blank(raw) else raw


def _quality(parsed: Parsed, name: str, raw: Any) -> None:
    if _is_blank(raw):
        parsed.add(name, _("This score is required."))
        return
    value = to_decimal(raw)
    if value is None:
        parsed.add(name, _("Enter a number such as 7.75."))
    elif not SCA_MIN <= value <= SCA_MAX:
        parsed.add(name, _("Must be between 6.00 and 10.00."))
    elif value % SCA_STEP != 0:
        parsed.add(name, _("Must be in steps of 0.25 (for example 7.50 or 7.75)."))
    else:
        parsed.values[name] = value.quantize(CENT)


def _whole(parsed: Parsed, name: str, raw: Any, low: int, high: int, *, required: bool = True) -> None:
    if _is_blank(raw):
        if required:
            parsed.add(name, _("This value is required."))
        return
    value = to_decimal(raw)
    if value is None or value != value.to_integral_value():
        parsed.add(name, _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high})
    elif not low <= value <= high:
        parsed.add(name, _("Must be from %(low)d to %(high)d.") % {"low": low, "high": high})
    else:
        parsed.values[name] = int(value)


def parse_sca2004(data: dict[str, Any]) -> Parsed:
    parsed = Parsed()
    for name in SCA_QUALITY:
        _quality(parsed, name, data.get(name))
    for name in SCA_CUPS:
        _whole(parsed, name, data.get(name), 0, CUPS)
    for name in SCA_DEFECTS:  # no defect cups ticked means none
        _whole(parsed, name, _blank_is_zero(data.get(name)), 0, CUPS)
    taint, fault = parsed.values.get("taint_cups"), parsed.values.get("fault_cups")
    clean = parsed.values.get("clean_cups")
    if taint is not None and fault is not None and taint + fault > CUPS:
        parsed.add("fault_cups", _("Taint and fault cups together cannot exceed 5 cups."))
    elif taint is not None and fault is not None and clean is not None and clean > CUPS - taint - fault:
        # DOMAIN.md §2: a cup marked with a taint or a fault is not a clean cup.
        parsed.add(
            "clean_cups",
            _(
                "A cup with a taint or a fault is not a clean cup: with %(taint)d tainted and %(fault)d "
                "faulted cups, at most %(max)d of the 5 cups can be clean."
            )
            % {"taint": taint, "fault": fault, "max": CUPS - taint - fault},
        )
    for name in ("acidity_intensity", "body_intensity"):
        raw = data.get(name) or ""
        if raw and raw not in INTENSITY_MARKS:
            parsed.add(name, _("Choose low, medium or high."))
        else:
            parsed.values[name] = raw
    return parsed


def parse_cva(data: dict[str, Any]) -> Parsed:
    parsed = Parsed()
    for name in CVA_AFFECTIVE:
        _whole(parsed, name, data.get(name), CVA_MIN, CVA_MAX)
    for name in CVA_CUPS:
        _whole(parsed, name, _blank_is_zero(data.get(name)), 0, CUPS)
    intensities: dict[str, int] = {}
    raw_intensities = data.get("intensities") or {}
    if not isinstance(raw_intensities, dict):
        parsed.add("intensities", _("Give the intensities as a mapping of attribute to 0–15."))
        raw_intensities = {}
    for key in raw_intensities:
        if key not in CVA_INTENSITIES:
            parsed.add("intensities", _("Unknown intensity attribute: %(name)s.") % {"name": str(key)[:40]})
    for name in CVA_INTENSITIES:
        sub = Parsed()
        _whole(sub, name, raw_intensities.get(name), INTENSITY_MIN, INTENSITY_MAX, required=False)
        for message in sub.errors.get(name, []):
            parsed.add(f"intensity_{name}", message)
        if name in sub.values:
            intensities[name] = sub.values[name]
    parsed.values["intensities"] = intensities
    descriptors = data.get("descriptors") or []
    if isinstance(descriptors, str):
        descriptors = [d.strip() for d in descriptors.replace(";", "|").split("|") if d.strip()]
    if not isinstance(descriptors, (list, tuple)):
        parsed.add("descriptors", _("Give the descriptors as a list."))
        descriptors = []
    unknown = [str(d)[:40] for d in descriptors if d not in CVA_DESCRIPTORS]
    if unknown:
        parsed.add("descriptors", _("Unknown descriptor: %(names)s.") % {"names": ", ".join(unknown)})
    parsed.values["descriptors"] = sorted({d for d in descriptors if d in CVA_DESCRIPTORS})
    return parsed


def _stepped(parsed: Parsed, name: str, raw: Any, low: Decimal, high: Decimal, step: Decimal) -> None:
    if _is_blank(raw):
        parsed.add(name, _("This score is required."))
        return
    value = to_decimal(raw)
    if value is None:
        parsed.add(name, _("Enter a number such as 6.5."))
    elif not low <= value <= high:
        parsed.add(name, _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high})
    elif value % step != 0:
        parsed.add(name, _("Must be in steps of %(step)s (for example 6.5 or 7).") % {"step": step})
    else:
        parsed.values[name] = value.quantize(CENT)


def parse_coe(data: dict[str, Any]) -> Parsed:
    """The Cup of Excellence form (DOMAIN.md §4): eight attributes 0–8 in half points, and the
    defect: how many cups and how strong (1–3)."""
    parsed = Parsed()
    for name in COE_ATTRIBUTES:
        _stepped(parsed, name, data.get(name), COE_MIN, COE_MAX, COE_STEP)
    _whole(parsed, "defect_cups", _blank_is_zero(data.get("defect_cups")), 0, CUPS)
    cups = parsed.values.get("defect_cups")
    raw_intensity = data.get("defect_intensity")
    if cups:
        _whole(parsed, "defect_intensity", raw_intensity, COE_INTENSITY_MIN, COE_INTENSITY_MAX)
    elif cups == 0:
        # No defective cup: an intensity would mean nothing; 0 or empty is the only consistent value.
        if _is_blank(raw_intensity) or to_decimal(raw_intensity) == 0:
            parsed.values["defect_intensity"] = 0
        else:
            parsed.add("defect_intensity", _("No cup has a defect: leave the intensity empty."))
    for name in ("acidity_intensity", "mouthfeel_intensity"):
        raw = data.get(name) or ""
        if raw and raw not in INTENSITY_MARKS:
            parsed.add(name, _("Choose low, medium or high."))
        else:
            parsed.values[name] = raw
    if not parsed.errors and coe_score(parsed.values).final < 0:
        parsed.add("defect_cups", _("The defects would take this sheet below 0 points."))
    return parsed


def parse_sheet(protocol: str, data: dict[str, Any]) -> Parsed:
    if protocol == SCA2004:
        return parse_sca2004(data)
    if protocol == CVA:
        return parse_cva(data)
    if protocol == COE:
        return parse_coe(data)
    parsed = Parsed()
    parsed.add("protocol", _("Choose sca2004, cva or coe."))
    return parsed


def fields_of(protocol: str) -> tuple[str, ...]:
    """The score columns of a protocol (as stored on the sheet and named in the CSV import)."""
    return {SCA2004: SCA_FIELDS, CVA: CVA_FIELDS, COE: COE_FIELDS}.get(protocol, ())


ALL_SCORE_FIELDS = tuple(dict.fromkeys(SCA_FIELDS + CVA_FIELDS + COE_FIELDS))


def sca2004_score(values: dict[str, Any]) -> Score:
    """Total = the ten attributes (cup counts at 2 points each); final = total − defect points."""
    total = sum((Decimal(values[n]) for n in SCA_QUALITY), Decimal(0))
    total += sum(2 * int(values[n]) for n in SCA_CUPS)
    defects = Decimal(2 * int(values.get("taint_cups", 0)) + 4 * int(values.get("fault_cups", 0)))
    return Score(total=total.quantize(CENT), defects=defects.quantize(CENT), final=(total - defects).quantize(CENT))


def round_quarter(value: Decimal) -> Decimal:
    """Nearest 0.25, exact ties upwards (ROUND_HALF_UP), as DOMAIN.md §3 asks."""
    return ((value * 4).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 4).quantize(CENT)


def cva_score(values: dict[str, Any]) -> Score:
    """S = 0.65625 × Σh + 52.75 − 2u − 4d, rounded to the nearest 0.25."""
    total = CVA_FACTOR * sum(Decimal(int(values[n])) for n in CVA_AFFECTIVE) + CVA_OFFSET
    defects = Decimal(2 * int(values.get("non_uniform_cups", 0)) + 4 * int(values.get("defective_cups", 0)))
    # The defect points are whole numbers, so rounding before or after subtracting is the same.
    return Score(total=round_quarter(total), defects=defects.quantize(CENT), final=round_quarter(total - defects))


def coe_score(values: dict[str, Any]) -> Score:
    """Cup of Excellence: total = the eight attributes + 36; defects = cups × intensity × 4."""
    total = sum((Decimal(values[n]) for n in COE_ATTRIBUTES), Decimal(0)) + COE_OFFSET
    cups = int(values.get("defect_cups") or 0)
    intensity = int(values.get("defect_intensity") or 0)
    defects = Decimal(cups * intensity * COE_DEFECT_FACTOR)
    return Score(total=total.quantize(CENT), defects=defects.quantize(CENT), final=(total - defects).quantize(CENT))


def score(protocol: str, values: dict[str, Any]) -> Score:
    if protocol == SCA2004:
        return sca2004_score(values)
    if protocol == COE:
        return coe_score(values)
    return cva_score(values)


def attribute_values(protocol: str, values: dict[str, Any]) -> dict[str, Decimal]:
    """The scored attributes as drawn on the radar chart (SCA cup counts as their 0–10 points)."""
    if protocol == SCA2004:
        out = {n: Decimal(values[n]) for n in SCA_QUALITY}
        out["uniformity"] = Decimal(2 * int(values["uniform_cups"]))
        out["clean_cup"] = Decimal(2 * int(values["clean_cups"]))
        out["sweetness"] = Decimal(2 * int(values["sweet_cups"]))
        return {n: out[n] for n in SCA_ATTRIBUTES}
    if protocol == COE:
        return {n: Decimal(values[n]) for n in COE_ATTRIBUTES}
    return {n: Decimal(int(values[n])) for n in CVA_AFFECTIVE}


def attribute_names(protocol: str) -> tuple[str, ...]:
    return {SCA2004: SCA_ATTRIBUTES, COE: COE_ATTRIBUTES}.get(protocol, CVA_AFFECTIVE)


def attribute_scale(protocol: str) -> tuple[Decimal, Decimal]:
    high = {SCA2004: Decimal(10), COE: Decimal(8)}.get(protocol, Decimal(9))
    return Decimal(0), high


def score_label(protocol: str, value: Any) -> str:
    """A score with its scale, e.g. "SCA 87.25", "CVA 84.50", "CoE 88.00" ("" for no score).

    Every score the site shows goes through here, so no number is ever shown without its scale;
    a value without a known protocol (legacy rows) is shown bare rather than with a wrong one."""
    if value is None or value == "":
        return ""
    number = to_decimal(value)
    shown = f"{number.quantize(CENT)}" if number is not None else str(value)
    short = PROTOCOL_SHORT.get(protocol or "")
    return f"{short} {shown}" if short else shown


# --- Green grading (DOMAIN.md §5) -----------------------------------------------------------

# defect type → (category, beans per full defect)
DEFECTS: dict[str, tuple[int, int]] = {
    "full_black": (1, 1),
    "full_sour": (1, 1),
    "dried_cherry": (1, 1),
    "fungus_damaged": (1, 1),
    "foreign_matter": (1, 1),
    "severe_insect_damage": (1, 5),
    "partial_black": (2, 3),
    "partial_sour": (2, 3),
    "parchment": (2, 5),
    "floater": (2, 5),
    "immature": (2, 5),
    "withered": (2, 5),
    "shell": (2, 5),
    "broken": (2, 5),
    "hull": (2, 5),
    "slight_insect_damage": (2, 10),
}
DEFECT_LABELS = {
    "full_black": _("Full black"),
    "full_sour": _("Full sour"),
    "dried_cherry": _("Dried cherry / pod"),
    "fungus_damaged": _("Fungus damaged"),
    "foreign_matter": _("Foreign matter"),
    "severe_insect_damage": _("Severe insect damage"),
    "partial_black": _("Partial black"),
    "partial_sour": _("Partial sour"),
    "parchment": _("Parchment / pergamino"),
    "floater": _("Floater"),
    "immature": _("Immature / unripe"),
    "withered": _("Withered"),
    "shell": _("Shell"),
    "broken": _("Broken / chipped / cut"),
    "hull": _("Hull / husk"),
    "slight_insect_damage": _("Slight insect damage"),
}
SAMPLE_GRAMS = 350
MAX_BEANS = 5000  # far more beans than a 350 g sample holds: a typo guard
SPECIALTY_MAX_CAT2 = 5
WATER_ACTIVITY_MAX = Decimal("0.70")  # strictly below

# The rulebook follows the sample (DOMAIN.md §5): a 350 g sample is graded on the SCA 2018 defect
# handbook's limits; a 300 g sample only on the older SCAA classification, labelled as such. No
# other sample size has a rulebook here, so it is refused rather than graded on the wrong limits.
RULEBOOK_SCA2018 = "SCA-2018-350g"
RULEBOOK_SCAA = "SCAA-legacy-300g"
GRADING_RULEBOOK = RULEBOOK_SCA2018  # the default sample's rulebook
RULEBOOK_BY_GRAMS = {350: RULEBOOK_SCA2018, 300: RULEBOOK_SCAA}
RULEBOOK_LABELS: dict[str, Any] = {
    RULEBOOK_SCA2018: _("SCA 2018 specialty grade (350 g sample)"),
    RULEBOOK_SCAA: _("Older SCAA green coffee classification (300 g sample), not the SCA 2018 rules"),
}
# Moisture limits per rulebook: SCA 2018 poster 10–12 %, older SCAA 9–13 %.
MOISTURE_LIMITS = {
    RULEBOOK_SCA2018: (Decimal("10.0"), Decimal("12.0")),
    RULEBOOK_SCAA: (Decimal("9.0"), Decimal("13.0")),
}
MOISTURE_MIN, MOISTURE_MAX = MOISTURE_LIMITS[RULEBOOK_SCA2018]
# The moisture limit is the washed-arabica figure: for every other process (naturals and honeys
# commonly run to ~12.5 %; wet-hulled coffees dry differently again) out-of-range moisture is a
# warning showing the figure, never a grade fail (DOMAIN.md §5). The lot's process decides.
STRICT_MOISTURE_PROCESSES = frozenset({"washed"})
# Older SCAA classification by full defects per 300 g (DOMAIN.md §5): Specialty ≤ 5 with no
# primary defect and no quaker; Premium ≤ 8 and ≤ 3 quakers; Exchange 9–23; Below standard 24–86;
# Off grade > 86.
SCAA_SPECIALTY_MAX, SCAA_PREMIUM_MAX, SCAA_EXCHANGE_MAX, SCAA_BELOW_STANDARD_MAX = 5, 8, 23, 86
SCAA_PREMIUM_MAX_QUAKERS = 3

GRADE_SPECIALTY = "specialty"
GRADE_LABELS: dict[str, Any] = {
    "specialty": _("Specialty grade"),
    "not_specialty": _("Not specialty grade"),
    "premium": _("Premium grade (older SCAA rules)"),
    "exchange": _("Exchange grade (older SCAA rules)"),
    "below_standard": _("Below standard grade (older SCAA rules)"),
    "off_grade": _("Off grade (older SCAA rules)"),
}


@dataclass(frozen=True)
class GradingResult:
    full_defects: dict[str, int]
    category1: int
    category2: int
    specialty: bool
    reasons: list[str]
    warnings: list[str] = field(default_factory=list)
    rulebook: str = RULEBOOK_SCA2018
    grade_class: str = GRADE_SPECIALTY


def full_defects(counts: dict[str, int]) -> dict[str, int]:
    """Beans per type → full defects per type, floored (DOMAIN.md §5)."""
    return {name: int(counts.get(name, 0)) // per for name, (_cat, per) in DEFECTS.items()}


def rulebook_for(sample_grams: int) -> str | None:
    return RULEBOOK_BY_GRAMS.get(int(sample_grams))


def grade(
    *,
    counts: dict[str, int],
    quakers: int,
    moisture_pct: Decimal,
    water_activity: Decimal,
    sample_grams: int = SAMPLE_GRAMS,
    process: str = "washed",
) -> GradingResult:
    """The grade under the sample's rulebook, every reason it is not specialty (stable codes) and
    every warning (codes whose labels show the figure).

    Screen size is deliberately not a parameter: bean size is contract information, never part
    of the specialty grade (DOMAIN.md §5)."""
    rulebook = rulebook_for(sample_grams)
    if rulebook is None:
        raise ValueError(f"no rulebook for a {sample_grams} g sample")
    per_type = full_defects(counts)
    cat1 = sum(v for k, v in per_type.items() if DEFECTS[k][0] == 1)
    cat2 = sum(v for k, v in per_type.items() if DEFECTS[k][0] == 2)
    reasons: list[str] = []
    warnings: list[str] = []
    low, high = MOISTURE_LIMITS[rulebook]
    moisture_ok = low <= moisture_pct <= high
    if not moisture_ok:
        (reasons if process in STRICT_MOISTURE_PROCESSES else warnings).append("moisture")
    moisture_fails = "moisture" in reasons
    if rulebook == RULEBOOK_SCA2018:
        if cat1 > 0:
            reasons.append("category1")
        if cat2 > SPECIALTY_MAX_CAT2:
            reasons.append("category2")
        if quakers > 0:
            reasons.append("quakers")
        if water_activity >= WATER_ACTIVITY_MAX:
            reasons.append("water_activity")
        grade_class = GRADE_SPECIALTY if not reasons else "not_specialty"
        return GradingResult(per_type, cat1, cat2, not reasons, reasons, warnings, rulebook, grade_class)
    # Older SCAA rules (300 g): water activity was not part of them; it is recorded only.
    total = cat1 + cat2
    if cat1 > 0:
        reasons.append("category1")
    if total > SCAA_SPECIALTY_MAX:
        reasons.append("scaa_full_defects")
    if quakers > 0:
        reasons.append("quakers")
    if not reasons:
        grade_class = GRADE_SPECIALTY
    elif total <= SCAA_PREMIUM_MAX and quakers <= SCAA_PREMIUM_MAX_QUAKERS and not moisture_fails:
        grade_class = "premium"
    elif total <= SCAA_EXCHANGE_MAX:
        grade_class = "exchange"
    elif total <= SCAA_BELOW_STANDARD_MAX:
        grade_class = "below_standard"
    else:
        grade_class = "off_grade"
    return GradingResult(per_type, cat1, cat2, not reasons, reasons, warnings, rulebook, grade_class)


REASON_LABELS = {
    "category1": _("Category 1 defects found (specialty allows none)."),
    "category2": _("More than 5 category 2 full defects."),
    "scaa_full_defects": _("More than 5 full defects in the 300 g sample (older SCAA specialty limit)."),
    "quakers": _("Quakers found in the roasted sample (specialty allows none)."),
    "moisture": _("Moisture outside the limit."),
    "water_activity": _("Water activity not below 0.70."),
    # Kept so reports graded before bean size left the grade still show their old reason.
    "screen": _("More than 5 % of beans off the declared screen size (no longer part of the grade)."),
}


def moisture_message(*, rulebook: str, moisture_pct: Any, process: str, warning: bool) -> str:
    """The moisture finding with its figure and the limit it was held to."""
    low, high = MOISTURE_LIMITS.get(rulebook, MOISTURE_LIMITS[RULEBOOK_SCA2018])
    value = to_decimal(moisture_pct)
    shown = {"value": value.quantize(Decimal("0.1")) if value is not None else moisture_pct, "low": low, "high": high}
    if warning:
        return str(
            _(
                "Moisture %(value)s %% is outside %(low)s–%(high)s %%, the limit for washed arabica; "
                "for this process it is a warning, not a grade fail."
            )
            % shown
        )
    return str(_("Moisture %(value)s %% is outside %(low)s–%(high)s %% (washed arabica).") % shown)


def parse_grading(data: dict[str, Any]) -> Parsed:
    parsed = Parsed()
    counts: dict[str, int] = {}
    raw_counts = data.get("defects") or {}
    if not isinstance(raw_counts, dict):
        parsed.add("defects", _("Give the defect counts as a mapping of defect to beans."))
        raw_counts = {}
    for key in raw_counts:
        if key not in DEFECTS:
            parsed.add("defects", _("Unknown defect: %(name)s.") % {"name": str(key)[:40]})
    for name in DEFECTS:
        sub = Parsed()
        _whole(sub, name, raw_counts.get(name, 0), 0, MAX_BEANS)
        for message in sub.errors.get(name, []):
            parsed.add(f"defect_{name}", message)
        counts[name] = sub.values.get(name, 0)
    parsed.values["defects"] = counts
    _whole(parsed, "quakers", data.get("quakers"), 0, 1000)
    _ranged(parsed, "moisture_pct", data.get("moisture_pct"), Decimal("0"), Decimal("30"), Decimal("0.1"))
    _ranged(parsed, "water_activity", data.get("water_activity"), Decimal("0"), Decimal("1"), Decimal("0.001"))
    _whole(parsed, "screen_size", data.get("screen_size"), 8, 20, required=False)
    _ranged(
        parsed,
        "screen_off_pct",
        data.get("screen_off_pct"),
        Decimal("0"),
        Decimal("100"),
        Decimal("0.1"),
        required=False,
    )
    raw_grams = data.get("sample_grams")
    _whole(parsed, "sample_grams", SAMPLE_GRAMS if _is_blank(raw_grams) else raw_grams, 100, 1000)
    grams = parsed.values.get("sample_grams")
    if grams is not None and rulebook_for(grams) is None:
        del parsed.values["sample_grams"]
        parsed.add(
            "sample_grams",
            _(
                "Grade a 350 g sample (SCA 2018 rules) or a 300 g sample (older SCAA rules); "
                "no rulebook here fits a %(grams)d g sample."
            )
            % {"grams": grams},
        )
    return parsed


def _ranged(
    parsed: Parsed, name: str, raw: Any, low: Decimal, high: Decimal, step: Decimal, *, required: bool = True
) -> None:
    if _is_blank(raw):
        if required:
            parsed.add(name, _("This value is required."))
        return
    value = to_decimal(raw)
    if value is None:
        parsed.add(name, _("Enter a number."))
    elif not low <= value <= high:
        parsed.add(name, _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high})
    elif value % step != 0:
        parsed.add(name, _("Use at most %(places)d decimal places.") % {"places": -int(step.as_tuple().exponent)})
    else:
        parsed.values[name] = value
