"""The premium arithmetic, free of the database: one lot's inputs plus the reference tables in.

The per-lot path calls ``premium_compute`` directly; the set-based sweep (``sweep.py``) does the same
arithmetic in SQL and must agree with it to the last stored digit (a test runs both on the same lots).
Rounding points are therefore fixed: prices to 4 places, ratios to 3, both half-up.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from core.money import KG_PER_LB, Incoterm, PriceUnit
from marketplace.pricing import conf
from marketplace.pricing.models import (
    BandPosition,
    BaselineMatch,
    PremiumStatus,
    ScoreBand,
    ScoreBasis,
    SizeBand,
    score_band_for,
)
from marketplace.pricing.scores import CVA, SCA2004

PRICE_Q = Decimal("0.0001")
RATIO_Q = Decimal("0.001")
# Wide enough that no product of stored values is rounded before the one quantize we mean.
_WIDE = Context(prec=80, rounding=ROUND_HALF_UP)
CLAIMING_CLASSES = ("micro", "nano")


def q_price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_Q, rounding=ROUND_HALF_UP)


def q_ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO_Q, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BaselineRow:
    """The fields of a SpecialtyBaseline the computation needs (loaded once per sweep)."""

    id: int
    edition: str
    published_on: datetime.date | None
    harvest_year: int
    origin: str
    score_band: str
    size_band: str
    p25: Decimal | None
    median: Decimal
    p75: Decimal | None

    @property
    def recency(self) -> tuple[datetime.date, str, int]:
        return (self.published_on or datetime.date.min, self.edition, self.id)


def _candidates(origin: str, score_band: str, size_band: str) -> list[tuple[str, str, str]]:
    """The (origin, score band, lot size) keys to try within one harvest year, most specific first.

    DOMAIN.md §6.1: the most specific row by origin, score band and lot size; fall back by dropping
    origin, then lot size, then score band; but "use the lot-size row when one exists for that
    year, since small lots trade far above the all-lots median". The Guide publishes its
    breakdowns one dimension at a time (a band row OR a size row, rarely both), so the order is:
    rows of the lot's size band first (with origin and band, then without origin, then without
    band), and only then the rows of every size, in the same order. Origin is always the first
    dimension given up. A 300 kg lot of 2019/20 is therefore compared with the "< 1,000 lb" row
    ($4.00) whatever its score band; its band row is still shown as the score-band comparison.
    """
    keys: list[tuple[str, str, str]] = []
    sizes = [size_band, SizeBand.ALL] if size_band and size_band != SizeBand.ALL else [SizeBand.ALL]
    bands = [score_band, ScoreBand.ALL] if score_band and score_band != ScoreBand.ALL else [ScoreBand.ALL]
    origins = [origin, ""] if origin else [""]
    for size in sizes:
        for band in bands:
            for o in origins:
                key = (o, str(band), str(size))
                if key not in keys:
                    keys.append(key)
    return keys


class BaselineIndex:
    """Chooses the baseline of a lot: its harvest year first, then the most specific row.

    Harvest year: the lot's own year when any candidate row exists for it; otherwise the nearest
    earlier year that has one (never a later year: a baseline from after the harvest says nothing
    about the price then). Within a year the candidates of ``_candidates`` are tried in order.
    Within one slot the newest edition wins.
    """

    def __init__(self, rows: Iterable[BaselineRow]) -> None:
        self._slots: dict[tuple[str, int, str, str], BaselineRow] = {}
        for row in rows:
            key = (row.origin, row.harvest_year, row.score_band, row.size_band)
            if key not in self._slots or row.recency > self._slots[key].recency:
                self._slots[key] = row
        self._years = sorted({row.harvest_year for row in self._slots.values()}, reverse=True)

    def _search(self, harvest_year: int, keys: list[tuple[str, str, str]]) -> BaselineRow | None:
        for year in self._years:
            if year > harvest_year:
                continue
            for origin, band, size in keys:
                if row := self._slots.get((origin, year, band, size)):
                    return row
        return None

    def choose(
        self, origin: str, harvest_year: int, score_band: str = ScoreBand.ALL, size_band: str = SizeBand.ALL
    ) -> tuple[BaselineRow | None, str]:
        """The premium's row and how it matched (BaselineMatch)."""
        origin = (origin or "").upper()
        row = self._search(harvest_year, _candidates(origin, score_band or ScoreBand.ALL, size_band or SizeBand.ALL))
        if row is None:
            return None, ""
        same_year = row.harvest_year == harvest_year
        if row.origin:
            return row, BaselineMatch.ORIGIN_YEAR if same_year else BaselineMatch.ORIGIN_LATEST
        return row, BaselineMatch.ALL_ORIGINS_YEAR if same_year else BaselineMatch.ALL_ORIGINS_LATEST

    def choose_band(self, origin: str, harvest_year: int, score_band: str) -> BaselineRow | None:
        """The score-band comparison row: the band's own row (origin first), every lot size."""
        if not score_band or score_band == ScoreBand.ALL:
            return None
        origin = (origin or "").upper()
        keys = [(o, score_band, str(SizeBand.ALL)) for o in ([origin, ""] if origin else [""])]
        return self._search(harvest_year, keys)


@dataclass
class PricingContext:
    """The reference tables: rates (USD per unit, valid on), FOB adjustments and baselines."""

    rates: dict[str, tuple[Decimal, datetime.date | None]]
    adjustments: dict[tuple[str, str], Decimal]
    baselines: BaselineIndex

    def rate(self, currency: str) -> tuple[Decimal | None, datetime.date | None]:
        if currency == "USD":
            return Decimal(1), None
        found = self.rates.get(currency)
        return (found[0], found[1]) if found else (None, None)

    def adjustment(self, origin: str, incoterm: str) -> Decimal | None:
        if incoterm == Incoterm.FOB:
            return Decimal(0)
        origin = (origin or "").upper()
        if origin and (origin, incoterm) in self.adjustments:
            return self.adjustments[(origin, incoterm)]
        return self.adjustments.get(("", incoterm))


@dataclass(frozen=True)
class PremiumInputs:
    lot_id: int
    price: Decimal
    currency: str
    price_unit: str
    incoterm: str
    origin: str
    harvest_year: int  # the October–September harvest year (``models.harvest_year_for``)
    size_band: str  # ``models.size_band_for(weight_kg)``
    classification: str
    scores: dict[str, Decimal] = field(default_factory=dict)  # protocol → official score
    verified_badge: str = ""
    competition_result_id: int | None = None  # the verified result naming the lot's provenance
    has_open_claim: bool = False


@dataclass
class PremiumResult:
    status: str
    asking_usd_per_kg: Decimal | None = None
    fob_usd_per_lb: Decimal | None = None
    rate_usd_per_unit: Decimal | None = None
    rate_valid_on: datetime.date | None = None
    incoterm_adjustment: Decimal | None = None
    baseline_id: int | None = None
    baseline_match: str = ""
    baseline_median: Decimal | None = None
    premium_ratio: Decimal | None = None
    score_band: str = ""
    band_baseline_id: int | None = None
    band_median: Decimal | None = None
    band_ratio: Decimal | None = None
    band_position: str = ""
    flag_under_2x: bool = False
    flag_over_10x: bool = False
    flag_high_price: bool = False
    lot_harvest_year: int | None = None
    lot_size_band: str = ""
    score_basis: str = ""
    score_protocol: str = ""
    score_value: Decimal | None = None
    baseline_edition: str = ""
    baseline_harvest_year: int | None = None
    baseline_origin: str = ""
    baseline_score_band: str = ""
    baseline_size_band: str = ""
    years_stale: int | None = None
    band_edition: str = ""
    band_harvest_year: int | None = None
    band_origin: str = ""
    competition_result_id: int | None = None
    competition_excused: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def stored(self) -> dict[str, object]:
        """The LotPremium column values."""
        return {k: v for k, v in self.__dict__.items() if k != "extra"}


def band_position(price: Decimal, p25: Decimal | None, median: Decimal, p75: Decimal | None) -> str:
    """Where a price sits among a band's percentiles; an edge value belongs to the band above it."""
    if p25 is None or p75 is None:
        return BandPosition.BELOW_MEDIAN if price < median else BandPosition.ABOVE_MEDIAN
    if price < p25:
        return BandPosition.BELOW_P25
    if price < median:
        return BandPosition.P25_MEDIAN
    if price <= p75:
        return BandPosition.MEDIAN_P75
    return BandPosition.ABOVE_P75


def score_basis(scores: dict[str, Decimal]) -> tuple[str, str, Decimal | None, str]:
    """(basis, protocol, score, band): only an SCA 2004 score has a Transaction Guide band."""
    if SCA2004 in scores:
        score = scores[SCA2004]
        return ScoreBasis.SCA2004, SCA2004, score, score_band_for(score)
    if scores:
        protocol = CVA if CVA in scores else sorted(scores)[0]
        return ScoreBasis.OTHER_SCALE, protocol, scores[protocol], ""
    return ScoreBasis.NONE, "", None, ""


def high_score_excuses(scores: dict[str, Decimal]) -> bool:
    """A 90+ independent score excuses a ≥ 200 USD/kg price: SCA 2004 scale, or CVA if configured."""
    sca = scores.get(SCA2004)
    if sca is not None and sca >= conf.HIGH_SCORE:
        return True
    cva = scores.get(CVA)
    return conf.HIGH_SCORE_CVA is not None and cva is not None and cva >= conf.HIGH_SCORE_CVA


def premium_compute(lot: PremiumInputs, ctx: PricingContext) -> PremiumResult:
    basis, protocol, score, band = score_basis(lot.scores)
    competition = lot.competition_result_id is not None
    described = {
        "lot_harvest_year": lot.harvest_year,
        "lot_size_band": lot.size_band,
        "score_basis": basis,
        "score_protocol": protocol,
        "score_value": score,
        "competition_result_id": lot.competition_result_id,
    }
    rate, valid_on = ctx.rate(lot.currency)
    if rate is None:
        return PremiumResult(status=PremiumStatus.NO_RATE, **described)  # type: ignore[arg-type]
    with localcontext(_WIDE):
        if lot.price_unit == PriceUnit.KG:
            usd_per_lb_raw = lot.price * KG_PER_LB * rate
            asking_per_kg = q_price(lot.price * rate)
        else:
            usd_per_lb_raw = lot.price * rate
            asking_per_kg = q_price(lot.price * rate / KG_PER_LB)
        result = PremiumResult(
            status=PremiumStatus.OK,
            asking_usd_per_kg=asking_per_kg,
            rate_usd_per_unit=rate,
            rate_valid_on=valid_on,
            **described,  # type: ignore[arg-type]
        )
        would_flag_high = asking_per_kg >= conf.HIGH_PRICE_USD_PER_KG and not high_score_excuses(lot.scores)
        result.flag_high_price = would_flag_high and not competition
        result.competition_excused = would_flag_high and competition
        adjustment = ctx.adjustment(lot.origin, lot.incoterm)
        if adjustment is None:
            result.status = PremiumStatus.NO_ADJUSTMENT
            return result
        fob = q_price(usd_per_lb_raw + adjustment)
        result.incoterm_adjustment = adjustment
        result.fob_usd_per_lb = fob
        baseline, match = ctx.baselines.choose(lot.origin, lot.harvest_year, band or ScoreBand.ALL, lot.size_band)
        if baseline is None:
            result.status = PremiumStatus.NO_BASELINE
            return result
        ratio = q_ratio(fob / baseline.median)
        result.baseline_id, result.baseline_match, result.baseline_median = baseline.id, match, baseline.median
        result.baseline_edition, result.baseline_harvest_year = baseline.edition, baseline.harvest_year
        result.baseline_origin = baseline.origin
        result.baseline_score_band, result.baseline_size_band = baseline.score_band, baseline.size_band
        result.years_stale = lot.harvest_year - baseline.harvest_year
        result.premium_ratio = ratio
        result.score_band = band
        band_row = ctx.baselines.choose_band(lot.origin, lot.harvest_year, band)
        if band_row is not None:
            result.band_baseline_id, result.band_median = band_row.id, band_row.median
            result.band_edition, result.band_harvest_year = band_row.edition, band_row.harvest_year
            result.band_origin = band_row.origin
            result.band_ratio = q_ratio(fob / band_row.median)
            result.band_position = band_position(fob, band_row.p25, band_row.median, band_row.p75)
    claims_micro = lot.classification in CLAIMING_CLASSES or bool(lot.verified_badge) or lot.has_open_claim
    result.flag_under_2x = claims_micro and ratio < conf.MICRO_MIN_RATIO
    would_flag_over = ratio > conf.MICRO_MAX_RATIO and lot.classification != "nano"
    result.flag_over_10x = would_flag_over and not competition
    result.competition_excused = result.competition_excused or (would_flag_over and competition)
    return result
