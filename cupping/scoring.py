"""Pure, exact scoring and validation for cupping sheets and green-grading reports.

No database access here: the browser form, the API, the CSV import and the tests all call these
functions, so a score can only ever be computed one way. Formulas: DOMAIN.md §2 (SCA 2004),
§3 (CVA affective form) and §5 (green grading).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

SCA2004 = "sca2004"
CVA = "cva"
PROTOCOLS = (SCA2004, CVA)
# The version of each paper form whose fields and formula we implement.
FORM_VERSIONS = {SCA2004: "SCA-2004", CVA: "CVA-2024-affective-1.0"}

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
}

CUPS = 5
SCA_MIN, SCA_MAX, SCA_STEP = Decimal("6.00"), Decimal("10.00"), Decimal("0.25")
CVA_MIN, CVA_MAX = 1, 9
INTENSITY_MIN, INTENSITY_MAX = 0, 15
CVA_FACTOR, CVA_OFFSET = Decimal("0.65625"), Decimal("52.75")
QUARTER = Decimal("0.25")
CENT = Decimal("0.01")

# Score bounds per protocol (the property tests hold every valid sheet to these).
SCORE_BOUNDS = {SCA2004: (Decimal("0"), Decimal("100")), CVA: (Decimal("28"), Decimal("100"))}


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
        if not text:
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
    if taint is not None and fault is not None and taint + fault > CUPS:
        parsed.add("fault_cups", _("Taint and fault cups together cannot exceed 5 cups."))
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


def parse_sheet(protocol: str, data: dict[str, Any]) -> Parsed:
    if protocol == SCA2004:
        return parse_sca2004(data)
    if protocol == CVA:
        return parse_cva(data)
    parsed = Parsed()
    parsed.add("protocol", _("Choose sca2004 or cva."))
    return parsed


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


def score(protocol: str, values: dict[str, Any]) -> Score:
    return sca2004_score(values) if protocol == SCA2004 else cva_score(values)


def attribute_values(protocol: str, values: dict[str, Any]) -> dict[str, Decimal]:
    """The scored attributes as drawn on the radar chart (SCA cup counts as their 0–10 points)."""
    if protocol == SCA2004:
        out = {n: Decimal(values[n]) for n in SCA_QUALITY}
        out["uniformity"] = Decimal(2 * int(values["uniform_cups"]))
        out["clean_cup"] = Decimal(2 * int(values["clean_cups"]))
        out["sweetness"] = Decimal(2 * int(values["sweet_cups"]))
        return {n: out[n] for n in SCA_ATTRIBUTES}
    return {n: Decimal(int(values[n])) for n in CVA_AFFECTIVE}


def attribute_names(protocol: str) -> tuple[str, ...]:
    return SCA_ATTRIBUTES if protocol == SCA2004 else CVA_AFFECTIVE


def attribute_scale(protocol: str) -> tuple[Decimal, Decimal]:
    return (Decimal(0), Decimal(10)) if protocol == SCA2004 else (Decimal(0), Decimal(9))


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
MOISTURE_MIN, MOISTURE_MAX = Decimal("10.0"), Decimal("12.0")
WATER_ACTIVITY_MAX = Decimal("0.70")  # strictly below
SCREEN_OFF_MAX_PCT = Decimal("5")
GRADING_RULEBOOK = "SCA-2018-350g"


@dataclass(frozen=True)
class GradingResult:
    full_defects: dict[str, int]
    category1: int
    category2: int
    specialty: bool
    reasons: list[str]


def full_defects(counts: dict[str, int]) -> dict[str, int]:
    """Beans per type → full defects per type, floored (DOMAIN.md §5)."""
    return {name: int(counts.get(name, 0)) // per for name, (_cat, per) in DEFECTS.items()}


def grade(
    *,
    counts: dict[str, int],
    quakers: int,
    moisture_pct: Decimal,
    water_activity: Decimal,
    screen_off_pct: Decimal | None,
) -> GradingResult:
    """The specialty-grade verdict and every reason it failed (reasons are stable codes)."""
    per_type = full_defects(counts)
    cat1 = sum(v for k, v in per_type.items() if DEFECTS[k][0] == 1)
    cat2 = sum(v for k, v in per_type.items() if DEFECTS[k][0] == 2)
    reasons: list[str] = []
    if cat1 > 0:
        reasons.append("category1")
    if cat2 > SPECIALTY_MAX_CAT2:
        reasons.append("category2")
    if quakers > 0:
        reasons.append("quakers")
    if not MOISTURE_MIN <= moisture_pct <= MOISTURE_MAX:
        reasons.append("moisture")
    if water_activity >= WATER_ACTIVITY_MAX:
        reasons.append("water_activity")
    if screen_off_pct is not None and screen_off_pct > SCREEN_OFF_MAX_PCT:
        reasons.append("screen")
    return GradingResult(per_type, cat1, cat2, not reasons, reasons)


REASON_LABELS = {
    "category1": _("Category 1 defects found (specialty allows none)."),
    "category2": _("More than 5 category 2 full defects."),
    "quakers": _("Quakers found in the roasted sample (specialty allows none)."),
    "moisture": _("Moisture outside 10–12 %."),
    "water_activity": _("Water activity not below 0.70."),
    "screen": _("More than 5 % of beans off the declared screen size."),
}


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
    _whole(parsed, "sample_grams", data.get("sample_grams", SAMPLE_GRAMS), 100, 1000)
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
