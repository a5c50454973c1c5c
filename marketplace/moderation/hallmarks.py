"""The eight hallmark checks: small pure functions over a gathered ``Evidence`` object.

Nothing here touches the database, so tests can build evidence directly; ``evidence.gather`` reads
the rows. Each check returns a ``Finding`` (key, result, reason a person can read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from marketplace.moderation import conf
from marketplace.moderation.models import HallmarkKey, HallmarkOutcome

PASS, WARN, FAIL = HallmarkOutcome.PASS, HallmarkOutcome.WARN, HallmarkOutcome.FAIL
_RANK: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}

MICRO_MIN_KG = Decimal("100")
MICRO_MAX_KG = Decimal("1000")
NANO_MAX_KG = Decimal("50")

# Stages every separated lot records; naturals are never depulped.
REQUIRED_STAGES = ("harvest", "depulping", "fermentation", "drying", "milling", "packaging")
NATURAL_PROCESSES = frozenset({"natural"})


@dataclass(frozen=True)
class Finding:
    key: str
    result: str
    reason: str


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
    protocol: str = ""
    has_signed_original: bool = False


@dataclass
class Evidence:
    claim_kind: str
    weight_kg: Decimal
    process: str = "washed"
    producer_name: str = ""
    farm_name: str = ""
    plots: list[PlotEvidence] = field(default_factory=list)
    group_members: list[str] = field(default_factory=list)
    custody: list[CustodyStep] = field(default_factory=list)
    chain_ok: bool = True
    chain_reason: str = ""
    chain_broken_seq: int | None = None
    # cupping: sheets when the cupping app supplies them; official_score is the lot's denormalised score.
    sheets: list[SheetEvidence] | None = None
    official_score: Decimal | None = None
    official_score_protocol: str = ""
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


def _grew(before: Decimal, after: Decimal) -> bool:
    return after > before * (Decimal("1") + conf.WEIGHT_GAIN_TOLERANCE)


def _effective_chain(steps: list[CustodyStep]) -> list[CustodyStep]:
    return sorted(steps, key=lambda s: s.seq)


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
    natural = ev.process in NATURAL_PROCESSES
    found: list[tuple[str, str] | None] = []
    if natural:
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
    fails: list[str] = []
    warns: list[str] = []
    required = [s for s in REQUIRED_STAGES if not (s == "depulping" and ev.process in NATURAL_PROCESSES)]
    stages = {s.stage for s in chain}
    missing = [s for s in required if s not in stages]
    if missing:
        fails.append(_("no custody event for %(stages)s") % {"stages": ", ".join(missing)})
    mixed = sorted({s.stage for s in chain if not s.separated})
    if mixed:
        fails.append(_("not kept separate at %(stages)s") % {"stages": ", ".join(mixed)})
    previous: CustodyStep | None = None
    for step in chain:
        if _grew(step.weight_in_kg, step.weight_out_kg):
            fails.append(
                _("the lot gained weight during %(stage)s (%(a)s → %(b)s kg): possible blending")
                % {"stage": step.stage, "a": _fmt(step.weight_in_kg), "b": _fmt(step.weight_out_kg)}
            )
        if previous is not None and _grew(previous.weight_out_kg, step.weight_in_kg):
            fails.append(
                _("the lot gained weight between %(prev)s and %(stage)s (%(a)s → %(b)s kg): possible blending")
                % {
                    "prev": previous.stage,
                    "stage": step.stage,
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
        return Finding(key, FAIL, _("Separation fails: %(list)s.") % {"list": "; ".join(dict.fromkeys(fails))})
    if warns:
        return Finding(key, WARN, _("Separation needs a look: %(list)s.") % {"list": "; ".join(warns)})
    return Finding(
        key,
        PASS,
        _("%(n)s custody events cover every stage, each kept separate; weights only shrink and convert plausibly.")
        % {"n": len(chain)},
    )


# --- score ---------------------------------------------------------------------------------------


def check_score(ev: Evidence) -> Finding:
    key = HallmarkKey.SCORE
    if ev.sheets is not None:
        independent = [s for s in ev.sheets if s.independent and s.score is not None]
        if not independent:
            if ev.sheets:
                return Finding(
                    key,
                    FAIL,
                    _("%(n)s cupping sheet(s), but none from an independent Q-grader.") % {"n": len(ev.sheets)},
                )
            return Finding(key, FAIL, _("No cupping sheet from an independent Q-grader."))
    score = ev.official_score
    if score is None:
        if ev.sheets:
            independent_scores = [s.score for s in ev.sheets if s.independent and s.score is not None]
            score = sum(independent_scores, Decimal("0")) / len(independent_scores)
        else:
            return Finding(key, FAIL, _("No official score from an independent Q-grader."))
    shown = {"score": _fmt(score), "protocol": ev.official_score_protocol or "", "pass": conf.SCORE_PASS}
    shown["fail"] = conf.SCORE_FAIL_BELOW
    if score >= conf.SCORE_PASS:
        return Finding(key, PASS, _("Independent official score %(score)s (at least %(pass)s).") % shown)
    if score >= conf.SCORE_FAIL_BELOW:
        return Finding(key, WARN, _("Independent official score %(score)s, below %(pass)s.") % shown)
    return Finding(key, FAIL, _("Independent official score %(score)s: below %(fail)s is not specialty.") % shown)


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


def check_disclosure(ev: Evidence) -> Finding:
    key = HallmarkKey.DISCLOSURE
    if not ev.additives:
        return Finding(key, FAIL, _("Additives (infusion, co-fermentation) are not declared either way."))
    if ev.additives == "none":
        text = " ".join(ev.texts).lower()
        hits = sorted({w for w in conf.INFUSION_WORDS if w in text})
        if hits:
            return Finding(
                key,
                FAIL,
                _("Declared with nothing added, but the lot's texts mention %(words)s: an undisclosed infusion?")
                % {"words": ", ".join(hits)},
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
