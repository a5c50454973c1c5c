"""The eight hallmark checks: small pure functions over a gathered ``Evidence`` object.

Nothing here touches the database, so tests can build evidence directly; ``evidence.gather`` reads
the rows. Each check returns a ``Finding`` (key, result, reason a person can read); every reason is
a gettext string with placeholders, and ``evaluate_translated`` writes it in each language.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from lots.models import CustodyStage, Process
from marketplace.moderation import conf
from marketplace.moderation.models import HallmarkKey, HallmarkOutcome

PASS, WARN, FAIL = HallmarkOutcome.PASS, HallmarkOutcome.WARN, HallmarkOutcome.FAIL
_RANK: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}

MICRO_MIN_KG = Decimal("100")
MICRO_MAX_KG = Decimal("1000")
NANO_MAX_KG = Decimal("50")

# DOMAIN.md §10: the custody stages each declared process records, in this order. "washing/drying"
# of a washed coffee and "drying in the cherry" of a natural are drying events; "hulling/milling"
# is milling. A wet-hulled coffee is dried twice: partly as parchment, then as green after wet hulling.
PROCESS_CHAINS: dict[str, tuple[str, ...]] = {
    "washed": ("harvest", "depulping", "fermentation", "drying", "milling", "packaging"),
    "honey": ("harvest", "depulping", "drying", "milling", "packaging"),
    "natural": ("harvest", "drying", "milling", "packaging"),
    "semi_washed": ("harvest", "depulping", "fermentation", "drying", "wet_hulling", "drying", "packaging"),
}
# Any process records at least these when it is not one we know.
FALLBACK_CHAIN = ("harvest", "drying", "packaging")
# Stages the declared process cannot have: recorded anyway, they are a warning (DOMAIN.md §10).
FOREIGN_STAGES: dict[str, frozenset[str]] = {
    "washed": frozenset({"wet_hulling"}),
    "honey": frozenset({"wet_hulling"}),
    "natural": frozenset({"depulping", "wet_hulling"}),
    "semi_washed": frozenset(),
}
# Processes with no fermentation tank unless a fermenting modifier is declared (an anaerobic or
# extended-fermentation natural ferments whole cherries; a honey's controlled fermentation is optional).
FERMENTATION_IF_DECLARED = frozenset({"natural", "honey"})
FERMENTING_MODIFIERS = frozenset(
    {
        "anaerobic",
        "carbonic_maceration",
        "extended_fermentation",
        "yeast_inoculated",
        "lactic",
        "cold_fermentation",
    }
)
NATURAL_PROCESSES = frozenset({"natural"})
WET_HULLED_PROCESSES = frozenset({"semi_washed"})


@dataclass(frozen=True)
class Finding:
    key: str
    result: str
    reason: str
    # The reason in every configured language (``evaluate_translated``): a stored result is read
    # by people in other languages than the one of whoever happened to trigger the computation.
    reasons: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PlotEvidence:
    name: str
    area_ha: Decimal | None
    geometry_error: str | None  # None when the geometry is present and valid


@dataclass(frozen=True)
class CustodyStep:
    seq: int
    stage: str
    state_in: str
    state_out: str
    weight_in_kg: Decimal
    weight_out_kg: Decimal
    separated: bool
    notes: str = ""


@dataclass(frozen=True)
class SheetEvidence:
    grader_id: int | None
    independent: bool
    score: Decimal | None
    protocol: str = "sca2004"
    has_signed_original: bool = False
    # The harvest the sheet was cupped for (None: the lot's current harvest) and when, so that
    # each grader's latest sheet of the current harvest counts once.
    harvest_year: int | None = None
    cupped_on: datetime.date | None = None
    sheet_id: int = 0


@dataclass
class Evidence:
    claim_kind: str
    weight_kg: Decimal
    process: str = "washed"
    process_modifiers: list[str] = field(default_factory=list)
    harvest_year: int | None = None
    producer_name: str = ""
    farm_name: str = ""
    plots: list[PlotEvidence] = field(default_factory=list)
    group_members: list[str] = field(default_factory=list)
    custody: list[CustodyStep] = field(default_factory=list)
    chain_ok: bool = True
    chain_reason: str = ""
    chain_broken_seq: int | None = None
    # cupping: sheets when the cupping app supplies them. official_scores (protocol → score of the
    # current harvest) when known; None: computed from the sheets by ``lot_official_scores``.
    sheets: list[SheetEvidence] | None = None
    official_scores: dict[str, Decimal] | None = None
    signed_originals: int = 0
    green_gradings: int = 0
    plot_photos: int = 0
    # Green kg of every lot of the same harvest sharing these plots (this one included), if known:
    # several "micro-lots" cut from one plot's harvest must still fit what the plot can yield.
    plot_season_kg: Decimal | None = None
    premium_ratio: Decimal | None = None
    premium_flags: list[str] = field(default_factory=list)
    baseline_label: str = ""
    premium_detail: Any = None  # marketplace.pricing.evidence.PremiumEvidence, when pricing computed one
    additives: str = "none"
    additives_detail: str = ""
    additives_label: str = ""
    texts: list[str] = field(default_factory=list)  # story, custody notes: read for undisclosed infusion


def _fmt(value: Decimal, places: str = "0.01") -> str:
    return format(Decimal(value).quantize(Decimal(places)).normalize(), "f")


def worst(results: list[str]) -> str:
    return max(results, key=lambda r: _RANK[r]) if results else PASS


# --- provenance ----------------------------------------------------------------------------------


def check_provenance(ev: Evidence) -> Finding:
    key = HallmarkKey.PROVENANCE
    problems: list[str] = []
    if not ev.producer_name.strip():
        problems.append(_("the producer is not named"))
    if ev.group_members:
        unnamed = [m for m in ev.group_members if not m.strip()]
        if unnamed:
            problems.append(_("%(n)s member(s) of the producer group are not named") % {"n": len(unnamed)})
    else:
        if not ev.farm_name.strip():
            problems.append(_("no farm is named"))
        if not ev.plots:
            problems.append(_("no plot (or group of producers) is named"))
    for plot in ev.plots:
        if plot.geometry_error:
            problems.append(
                _("plot %(plot)s: %(error)s") % {"plot": plot.name, "error": plot.geometry_error.rstrip(".")}
            )
    if problems:
        return Finding(key, FAIL, _("Provenance is incomplete: %(list)s.") % {"list": "; ".join(problems)})
    who = (
        _("a group of %(n)s named producers") % {"n": len(ev.group_members)}
        if ev.group_members
        else _("farm %(farm)s") % {"farm": ev.farm_name}
    )
    return Finding(
        key,
        PASS,
        _("%(producer)s, %(who)s and %(n)s geolocated plot(s) are named.")
        % {"producer": ev.producer_name, "who": who, "n": len(ev.plots)},
    )


# --- volume --------------------------------------------------------------------------------------


def classification_of(weight_kg: Decimal) -> str:
    if weight_kg < NANO_MAX_KG:
        return "nano"
    if weight_kg < MICRO_MIN_KG:
        return "small"
    if weight_kg <= MICRO_MAX_KG:
        return "micro"
    return "regular"


def check_volume(ev: Evidence) -> Finding:
    key = HallmarkKey.VOLUME
    weight = ev.weight_kg
    cls = classification_of(weight)
    kg = _fmt(weight)
    if cls == "regular":
        return Finding(
            key, FAIL, _("%(kg)s kg is over 1,000 kg: a lot this size can never be a micro-lot.") % {"kg": kg}
        )
    if cls == "small":
        return Finding(
            key, FAIL, _("%(kg)s kg is a small lot (50–100 kg): neither a micro-lot nor a nano-lot.") % {"kg": kg}
        )
    if cls != ev.claim_kind:
        return Finding(
            key,
            FAIL,
            _("The claim is for a %(claim)s-lot but %(kg)s kg makes it a %(cls)s-lot.")
            % {"claim": ev.claim_kind, "kg": kg, "cls": cls},
        )
    area = sum((p.area_ha for p in ev.plots if p.area_ha), Decimal("0"))
    if area <= 0:
        return Finding(
            key,
            WARN,
            _("%(kg)s kg fits a %(cls)s-lot, but no plot area is given to check the yield.") % {"kg": kg, "cls": cls},
        )
    season = ev.plot_season_kg if ev.plot_season_kg and ev.plot_season_kg > weight else None
    t_per_ha = ((season or weight) / Decimal("1000")) / area
    shown: dict[str, Any] = {"kg": kg, "ha": _fmt(area, "0.001"), "t": _fmt(t_per_ha), "limit": None}
    if season is not None:
        # The reasons below then speak of the whole harvest from these plots.
        shown["kg"] = _("%(kg)s (with the other lots from these plots this harvest: %(total)s)") % {
            "kg": kg,
            "total": _fmt(season),
        }
    if t_per_ha <= conf.YIELD_PASS_T_PER_HA:
        shown["limit"] = conf.YIELD_PASS_T_PER_HA
        return Finding(key, PASS, _("%(kg)s kg from %(ha)s ha is %(t)s t/ha, within %(limit)s t/ha.") % shown)
    if t_per_ha <= conf.YIELD_WARN_T_PER_HA:
        shown["limit"] = conf.YIELD_PASS_T_PER_HA
        return Finding(
            key,
            WARN,
            _("%(kg)s kg from %(ha)s ha is %(t)s t/ha, above the usual %(limit)s t/ha.") % shown,
        )
    shown["limit"] = conf.YIELD_WARN_T_PER_HA
    return Finding(
        key,
        FAIL,
        _("%(kg)s kg from %(ha)s ha is %(t)s t/ha: more than these plots can yield (over %(limit)s t/ha).") % shown,
    )


# --- separation ----------------------------------------------------------------------------------


def stage_label(stage: str) -> str:
    """The stage's translated name, in lower case to sit inside a sentence."""
    try:
        return str(CustodyStage(stage).label).lower()
    except ValueError:
        return stage


def process_label(process: str) -> str:
    try:
        return str(Process(process).label).lower()
    except ValueError:
        return process


def _grew(before: Decimal, after: Decimal) -> bool:
    return after > before * (Decimal("1") + conf.WEIGHT_GAIN_TOLERANCE)


def _effective_chain(steps: list[CustodyStep]) -> list[CustodyStep]:
    # ``evidence.gather`` gives the chain as corrected (a correcting event in the place of the one
    # it corrects, though its seq is later), so the given order is kept; sorting by seq would move
    # every correction to the end of the chain.
    return list(steps)


def required_chain(ev: Evidence) -> tuple[str, ...]:
    """The stages the declared process records, in order (DOMAIN.md §10)."""
    chain = PROCESS_CHAINS.get(ev.process, FALLBACK_CHAIN)
    if ev.process in FERMENTATION_IF_DECLARED and declared_fermentation(ev):
        # The declared fermentation comes before drying (whole cherries for a natural).
        at = chain.index("drying")
        chain = (*chain[:at], "fermentation", *chain[at:])
    return chain


def declared_fermentation(ev: Evidence) -> list[str]:
    return [m for m in ev.process_modifiers if m in FERMENTING_MODIFIERS]


def _is_subsequence(wanted: Iterable[str], stages: list[str]) -> bool:
    it = iter(stages)
    return all(stage in it for stage in wanted)


def stage_findings(ev: Evidence, chain: list[CustodyStep]) -> tuple[list[str], list[str]]:
    """(fails, warnings) about which stages the chain records for the declared process."""
    fails: list[str] = []
    warns: list[str] = []
    required = required_chain(ev)
    stages = [s.stage for s in chain]
    have = Counter(stages)
    missing: list[str] = []
    for stage, needed in Counter(required).items():
        if have[stage] == 0:
            missing.append(stage_label(stage))
        elif have[stage] < needed:
            missing.append(
                _("%(stage)s (%(needed)s needed, %(n)s recorded)")
                % {"stage": stage_label(stage), "needed": needed, "n": have[stage]}
            )
    if missing:
        fails.append(
            _("no custody event for %(stages)s, which a %(process)s chain records")
            % {"stages": ", ".join(missing), "process": process_label(ev.process)}
        )
    elif not _is_subsequence(required, stages):
        warns.append(
            _("the stages are not in the order of a %(process)s chain (%(expected)s)")
            % {"process": process_label(ev.process), "expected": " → ".join(stage_label(s) for s in required)}
        )
    foreign = [s for s in dict.fromkeys(stages) if s in FOREIGN_STAGES.get(ev.process, frozenset())]
    if foreign:
        warns.append(
            _("a %(process)s coffee has no %(stages)s stage, yet one is recorded")
            % {"process": process_label(ev.process), "stages": ", ".join(stage_label(s) for s in foreign)}
        )
    if ev.process in NATURAL_PROCESSES and "fermentation" in have and not declared_fermentation(ev):
        warns.append(
            _(
                "a fermentation stage is recorded, but a natural has no fermentation tank unless a fermenting "
                "process (anaerobic, extended fermentation…) is declared"
            )
        )
    return fails, warns


def _factor_finding(name: str, label: str, value_in: Decimal, value_out: Decimal) -> tuple[str, str] | None:
    lo, hi = conf.CONVERSION_FACTORS[name]
    if value_out <= 0:
        return None
    factor = value_in / value_out
    shown = {"step": label, "f": _fmt(factor), "lo": lo, "hi": hi}
    if lo <= factor <= hi:
        return None
    tol = conf.CONVERSION_TOLERANCE
    if lo * (1 - tol) <= factor <= hi * (1 + tol):
        return WARN, _("%(step)s converted at %(f)s:1, outside the usual %(lo)s–%(hi)s:1") % shown
    return FAIL, _("%(step)s converted at %(f)s:1, far outside the plausible %(lo)s–%(hi)s:1") % shown


def conversion_findings(ev: Evidence, chain: list[CustodyStep]) -> list[tuple[str, str]]:
    """Check cherry → parchment / dried cherry → green against DOMAIN.md §10's factors."""
    cherry = next((s.weight_in_kg for s in chain if s.state_in == "cherry" and s.state_out != "cherry"), None)
    dried = next((s.weight_out_kg for s in reversed(chain) if s.stage == "drying"), None)
    green = next((s.weight_out_kg for s in chain if s.state_out == "green" and s.state_in != "green"), None)
    found: list[tuple[str, str] | None] = []
    if ev.process in WET_HULLED_PROCESSES:
        # Wet hulling takes the parchment at 30–50 % moisture: no published factor for the partly
        # dried parchment, so only cherry → green is checked, with the green weighed after drying.
        green = next(
            (s.weight_out_kg for s in reversed(chain) if s.stage == "drying" and s.state_out == "green"), green
        )
    elif ev.process in NATURAL_PROCESSES:
        if cherry is not None and dried is not None:
            found.append(_factor_finding("cherry_to_dried_cherry", _("Cherry to dried cherry"), cherry, dried))
        if dried is not None and green is not None:
            found.append(_factor_finding("dried_cherry_to_green", _("Dried cherry to green"), dried, green))
    else:
        if cherry is not None and dried is not None:
            found.append(_factor_finding("cherry_to_parchment", _("Cherry to dry parchment"), cherry, dried))
        if dried is not None and green is not None:
            found.append(_factor_finding("parchment_to_green", _("Parchment to green"), dried, green))
    if cherry is not None and green is not None:
        found.append(_factor_finding("cherry_to_green", _("Cherry to green"), cherry, green))
    return [f for f in found if f is not None]


def check_separation(ev: Evidence) -> Finding:
    key = HallmarkKey.SEPARATION
    chain = _effective_chain(ev.custody)
    if not chain:
        return Finding(key, FAIL, _("No custody events are recorded, so nothing shows the lot was kept separate."))
    fails, warns = stage_findings(ev, chain)
    mixed = [stage_label(s) for s in dict.fromkeys(s.stage for s in chain if not s.separated)]
    if mixed:
        fails.append(_("not kept separate at %(stages)s") % {"stages": ", ".join(mixed)})
    previous: CustodyStep | None = None
    for step in chain:
        if _grew(step.weight_in_kg, step.weight_out_kg):
            fails.append(
                _("the lot gained weight during %(stage)s (%(a)s → %(b)s kg): possible blending")
                % {"stage": stage_label(step.stage), "a": _fmt(step.weight_in_kg), "b": _fmt(step.weight_out_kg)}
            )
        if previous is not None and _grew(previous.weight_out_kg, step.weight_in_kg):
            fails.append(
                _("the lot gained weight between %(prev)s and %(stage)s (%(a)s → %(b)s kg): possible blending")
                % {
                    "prev": stage_label(previous.stage),
                    "stage": stage_label(step.stage),
                    "a": _fmt(previous.weight_out_kg),
                    "b": _fmt(step.weight_in_kg),
                }
            )
        previous = step
    dried = next((s.weight_out_kg for s in reversed(chain) if s.stage == "drying"), None)
    packed = next((s.weight_out_kg for s in reversed(chain) if s.stage == "packaging"), None)
    if dried is not None and packed is not None and _grew(dried, packed):
        fails.append(
            _("the packed weight (%(p)s kg) exceeds the dried weight (%(d)s kg)")
            % {"p": _fmt(packed), "d": _fmt(dried)}
        )
    if packed is not None and _grew(packed, ev.weight_kg):
        fails.append(
            _("the lot declares %(w)s kg but only %(p)s kg were packed") % {"w": _fmt(ev.weight_kg), "p": _fmt(packed)}
        )
    for result, text in conversion_findings(ev, chain):
        (fails if result == FAIL else warns).append(text)
    if fails:
        return Finding(key, FAIL, _("Separation fails: %(list)s.") % {"list": "; ".join(dict.fromkeys(fails + warns))})
    if warns:
        return Finding(key, WARN, _("Separation needs a look: %(list)s.") % {"list": "; ".join(warns)})
    return Finding(
        key,
        PASS,
        _(
            "%(n)s custody events cover every stage of a %(process)s chain, each kept separate; weights only "
            "shrink and convert plausibly."
        )
        % {"n": len(chain), "process": process_label(ev.process)},
    )


# --- score ---------------------------------------------------------------------------------------

SCALE_NAMES = {"sca2004": "SCA", "cva": "CVA", "coe": "CoE"}
CENT = Decimal("0.01")


def scale_name(protocol: str) -> str:
    """How a score's scale is shown next to it ("SCA 87.25", "CVA 84.50")."""
    return SCALE_NAMES.get(protocol, protocol.upper())


def lot_official_scores(ev: Evidence) -> dict[str, Decimal]:
    """Protocol → official score of the lot's current harvest, from its independent sheets.

    The one place the hallmark derives scores from sheets (the cupping app's rule: per protocol,
    each independent grader's latest active sheet of the current harvest counts once; the mean,
    never across protocols or harvests). Swap for ``cupping.selectors.lot_official_scores(lot=…)``
    when that selector exists, by filling ``Evidence.official_scores`` in ``evidence.gather``.
    """
    latest: dict[str, dict[int | None, SheetEvidence]] = {}
    ordered = sorted(
        ev.sheets or [], key=lambda s: (s.cupped_on or datetime.date.min, s.sheet_id)
    )  # oldest first: a grader's latest sheet wins
    for sheet in ordered:
        if not sheet.independent or sheet.score is None:
            continue
        if sheet.harvest_year is not None and sheet.harvest_year != ev.harvest_year:
            continue
        latest.setdefault(sheet.protocol, {})[sheet.grader_id] = sheet
    out: dict[str, Decimal] = {}
    for protocol, by_grader in latest.items():
        scores = [s.score for s in by_grader.values() if s.score is not None]
        out[protocol] = (sum(scores, Decimal("0")) / len(scores)).quantize(CENT, rounding=ROUND_HALF_UP)
    return out


def _score_on_scale(protocol: str, score: Decimal) -> tuple[str, str]:
    # Scores always show two places, as graders write them ("CVA 84.50").
    shown = {"scale": scale_name(protocol), "score": format(Decimal(score).quantize(CENT), "f")}
    thresholds = conf.SCORE_THRESHOLDS.get(protocol)
    if thresholds is None:
        return WARN, _("%(scale)s %(score)s: no thresholds are set for this protocol") % shown
    pass_from, fail_below = thresholds
    shown |= {"pass": _fmt(pass_from), "fail": _fmt(fail_below)}
    if score >= pass_from:
        return PASS, _("%(scale)s %(score)s, at least %(pass)s on this scale") % shown
    if score >= fail_below:
        return WARN, _("%(scale)s %(score)s, below %(pass)s on this scale") % shown
    return FAIL, _("%(scale)s %(score)s: below %(fail)s is not specialty on this scale") % shown


def check_score(ev: Evidence) -> Finding:
    key = HallmarkKey.SCORE
    scores = ev.official_scores if ev.official_scores is not None else lot_official_scores(ev)
    year = ev.harvest_year if ev.harvest_year is not None else "?"
    if not scores:
        sheets = ev.sheets or []
        independent = [s for s in sheets if s.independent and s.score is not None]
        other_harvests = [s for s in independent if s.harvest_year is not None and s.harvest_year != ev.harvest_year]
        if other_harvests:
            return Finding(
                key,
                FAIL,
                _(
                    "No official score for the %(year)s harvest: the %(n)s independent sheet(s) are from other "
                    "harvests and do not count."
                )
                % {"year": year, "n": len(other_harvests)},
            )
        if sheets:
            return Finding(
                key,
                FAIL,
                _("No official score: %(n)s cupping sheet(s), but none from an independent Q-grader.")
                % {"n": len(sheets)},
            )
        return Finding(key, FAIL, _("No official score: no cupping sheet from an independent Q-grader."))
    order = list(SCALE_NAMES)
    protocols = sorted(scores, key=lambda p: (order.index(p) if p in order else len(order), p))
    judged = [_score_on_scale(protocol, scores[protocol]) for protocol in protocols]
    result = worst([r for r, _text in judged])
    ignored = sum(1 for s in ev.sheets or [] if s.harvest_year is not None and s.harvest_year != ev.harvest_year)
    text = _("Independent official score, %(year)s harvest: %(list)s.") % {
        "year": year,
        "list": "; ".join(t for _r, t in judged),
    }
    if ignored:
        text += " " + _("%(n)s sheet(s) from other harvests do not count.") % {"n": ignored}
    return Finding(key, result, text)


# --- premium -------------------------------------------------------------------------------------


def check_premium(ev: Evidence) -> Finding:
    """DESIGN.md hallmark 5 with DOMAIN.md §6.1 (dated baselines) and §7 (competition provenance).

    2×–10× the baseline passes, naming the edition, harvest year and row it was compared with. A
    verified competition result makes a high price expected evidence: it passes, saying so (the
    pricing app has already replaced the >10× and ≥ 200 USD/kg flags with that note). A baseline
    more than ``stale_limit`` harvest years older than the lot's harvest turns a pass into a warning.
    """
    key = HallmarkKey.PREMIUM
    detail = ev.premium_detail
    failing = [f for f in ev.premium_flags if f in conf.PREMIUM_FAILING_FLAGS]
    competition = getattr(detail, "competition", "") if detail is not None else ""
    if ev.premium_ratio is None:
        if failing:
            return Finding(key, FAIL, _("Pricing flags: %(flags)s.") % {"flags": ", ".join(failing)})
        return Finding(key, WARN, _("No premium is computed yet (no matching specialty baseline)."))
    base = (getattr(detail, "baseline_summary", "") if detail is not None else "") or ev.baseline_label
    shown = {
        "r": _fmt(ev.premium_ratio),
        "lo": conf.PREMIUM_MIN,
        "hi": conf.PREMIUM_MAX,
        "base": base or _("the specialty baseline"),
        "flags": ", ".join(ev.premium_flags),
        "competition": competition,
    }
    notes: list[str] = []
    years_stale = getattr(detail, "years_stale", None) if detail is not None else None
    too_stale = bool(years_stale) and years_stale > detail.stale_limit
    if years_stale:
        notes.append(
            _("compared with %(row)s, the latest edition available for the lot's harvest %(lot)s")
            % {"row": detail.baseline_harvest, "lot": detail.lot_harvest}
        )
    if detail is not None and detail.other_scale_note:
        notes.append(detail.other_scale_note.rstrip("."))
    tail = (" (" + "; ".join(notes) + ")") if notes else ""
    if failing:
        return Finding(key, FAIL, _("%(r)s× %(base)s; pricing flags: %(flags)s.") % shown + tail)
    if competition and ev.premium_ratio >= conf.PREMIUM_MIN:
        return Finding(
            key,
            PASS,
            _("%(r)s× %(base)s. Competition lot: %(competition)s, verified; a high price is expected evidence.") % shown
            + tail,
        )
    if conf.PREMIUM_MIN <= ev.premium_ratio <= conf.PREMIUM_MAX:
        if too_stale:
            return Finding(
                key,
                WARN,
                _(
                    "%(r)s× %(base)s, within %(lo)s×–%(hi)s×, but that baseline is %(n)s harvest years older "
                    "than the lot's harvest %(lot)s (more than %(limit)s): check it against a current edition."
                )
                % {**shown, "n": years_stale, "lot": detail.lot_harvest, "limit": detail.stale_limit},
            )
        return Finding(key, PASS, _("%(r)s× %(base)s, within %(lo)s×–%(hi)s×.") % shown + tail)
    if ev.premium_ratio < conf.PREMIUM_MIN:
        return Finding(key, WARN, _("%(r)s× %(base)s, under %(lo)s×: the label may be marketing.") % shown + tail)
    return Finding(
        key, WARN, _("%(r)s× %(base)s, over %(hi)s×: credible only with competition provenance.") % shown + tail
    )


# --- documentation -------------------------------------------------------------------------------


def check_documentation(ev: Evidence) -> Finding:
    key = HallmarkKey.DOCUMENTATION
    missing = []
    if ev.signed_originals < 1:
        missing.append(_("a signed cupping original"))
    if ev.plot_photos < 1:
        missing.append(_("a plot photo"))
    if ev.green_gradings < 1:
        missing.append(_("a green-grading report"))
    if missing:
        return Finding(key, FAIL, _("Missing: %(list)s.") % {"list": ", ".join(missing)})
    return Finding(
        key,
        PASS,
        _("%(o)s signed cupping original(s), %(p)s plot photo(s) and %(g)s green-grading report(s).")
        % {"o": ev.signed_originals, "p": ev.plot_photos, "g": ev.green_gradings},
    )


# --- integrity -----------------------------------------------------------------------------------


def check_integrity(ev: Evidence) -> Finding:
    key = HallmarkKey.INTEGRITY
    if not ev.custody:
        return Finding(key, WARN, _("There is no custody chain to verify yet."))
    if not ev.chain_ok:
        return Finding(
            key,
            FAIL,
            _("The custody hash chain is broken at event %(seq)s: %(reason)s.")
            % {"seq": ev.chain_broken_seq, "reason": ev.chain_reason},
        )
    return Finding(key, PASS, _("The custody hash chain of %(n)s events verifies.") % {"n": len(ev.custody)})


# --- disclosure ----------------------------------------------------------------------------------

# A colon does not end a clause: "Additives: none" is one statement.
_CLAUSE_SPLIT = re.compile(r"[.;!?¡¿,()\[\]\n\r\t]+|\s[-–—]\s")
_TOKEN = re.compile(r"[\w']+")
_NEGATION_REACH = 4  # words back from an infusion word that a negation still covers
_NO_REACH = 2  # "no" only right before ("no infusion", "no se infusionó"): in Portuguese it is "in the"


# Words right after an infusion word that say there was none ("additive-free", "Additives: none").
# Not "no": in Portuguese "infusão no tanque" is "infusion in the tank".
_NEGATED_AFTER = frozenset({"free", "none", "nothing", "nada", "ninguno", "ninguna", "ningun", "nenhum", "nenhuma"})


def _negated(before: list[str], after: str | None) -> bool:
    """Is the infusion word after ``before`` (the clause's words before it) under a negation?"""
    if after in _NEGATED_AFTER:
        return True
    for distance, word in enumerate(reversed(before[-_NEGATION_REACH:]), start=1):
        if word in conf.CLAUSE_WORDS:
            return False
        if word in conf.NEGATION_WORDS or word.endswith("n't"):
            return True
        if word == "no" and distance <= _NO_REACH:
            return True
    return False


def infusion_mentions(texts: Iterable[str]) -> list[str]:
    """The words in ``texts`` that read as a declared infusion or co-fermentation (not negated ones)."""
    found: list[str] = []
    for text in texts:
        normal = (text or "").casefold().replace("’", "'")
        for clause in _CLAUSE_SPLIT.split(normal):
            tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(clause)]
            for word in conf.INFUSION_WORDS:
                for match in re.finditer(re.escape(word), clause):
                    first = next((i for i, t in enumerate(tokens) if t[1] > match.start()), None)
                    if first is None:
                        continue
                    last = next((i for i, t in enumerate(tokens) if t[1] >= match.end()), len(tokens) - 1)
                    before = [t[2] for t in tokens[:first]]
                    after = tokens[last + 1][2] if last + 1 < len(tokens) else None
                    if not _negated(before, after):
                        found.append(clause[tokens[first][0] : tokens[last][1]])
    return list(dict.fromkeys(found))


def check_disclosure(ev: Evidence) -> Finding:
    key = HallmarkKey.DISCLOSURE
    if not ev.additives:
        return Finding(key, FAIL, _("Additives (infusion, co-fermentation) are not declared either way."))
    if ev.additives == "none":
        hits = infusion_mentions(ev.texts)
        if hits:
            return Finding(
                key,
                FAIL,
                _("Declared with nothing added, but the lot's texts mention %(words)s: an undisclosed infusion?")
                % {"words": ", ".join(f"“{w}”" for w in hits)},
            )
        return Finding(key, PASS, _("Declared: nothing added during fermentation."))
    if not ev.additives_detail.strip():
        return Finding(
            key,
            WARN,
            _("Additives are disclosed (%(kind)s) but not what was added.")
            % {"kind": ev.additives_label or ev.additives},
        )
    return Finding(
        key,
        PASS,
        _("Disclosed %(kind)s: %(detail)s. The lot is labelled as such.")
        % {"kind": ev.additives_label or ev.additives, "detail": ev.additives_detail},
    )


CHECKS: tuple[Callable[[Evidence], Finding], ...] = (
    check_provenance,
    check_volume,
    check_separation,
    check_score,
    check_premium,
    check_documentation,
    check_integrity,
    check_disclosure,
)


def evaluate(ev: Evidence) -> list[Finding]:
    return [check(ev) for check in CHECKS]


def evaluate_translated(ev: Evidence) -> list[Finding]:
    """``evaluate`` with each reason written in every language of ``settings.LANGUAGES``.

    The checks are pure, so the results agree across languages; ``reason`` is the default
    language's text (LANGUAGE_CODE), ``reasons`` maps each language code to its text.
    """
    with translation.override(settings.LANGUAGE_CODE):
        base = evaluate(ev)
    texts: dict[str, list[str]] = {settings.LANGUAGE_CODE: [f.reason for f in base]}
    for code, _name in settings.LANGUAGES:
        if code not in texts:
            with translation.override(code):
                texts[code] = [f.reason for f in evaluate(ev)]
    return [Finding(f.key, f.result, f.reason, {code: texts[code][i] for code in texts}) for i, f in enumerate(base)]
