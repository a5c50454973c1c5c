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
from marketplace.pricing.models import BandPosition, BaselineMatch, PremiumStatus, ScoreBand, score_band_for

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


class BaselineIndex:
    """Chooses the baseline for (origin, harvest year, score band), most specific first.

    origin + harvest year → all origins + harvest year → origin, latest year → all origins,
    latest year. Within one slot the newest edition wins. Lot-size rows are not used for the ratio:
    the standard baseline is the all-sizes row.
    """

    def __init__(self, rows: Iterable[BaselineRow]) -> None:
        self._slots: dict[tuple[str, int, str], BaselineRow] = {}
        self._latest: dict[tuple[str, str], BaselineRow] = {}
        for row in rows:
            if row.size_band != "all":
                continue
            key = (row.origin, row.harvest_year, row.score_band)
            if key not in self._slots or row.recency > self._slots[key].recency:
                self._slots[key] = row
            latest_key = (row.origin, row.score_band)
            current = self._latest.get(latest_key)
            if current is None or (row.harvest_year, row.recency) > (current.harvest_year, current.recency):
                self._latest[latest_key] = row

    def choose(self, origin: str, harvest_year: int, score_band: str = ScoreBand.ALL) -> tuple[BaselineRow | None, str]:
        origin = (origin or "").upper()
        if origin and (row := self._slots.get((origin, harvest_year, score_band))):
            return row, BaselineMatch.ORIGIN_YEAR
        if row := self._slots.get(("", harvest_year, score_band)):
            return row, BaselineMatch.ALL_ORIGINS_YEAR
        if origin and (row := self._latest.get((origin, score_band))):
            return row, BaselineMatch.ORIGIN_LATEST
        if row := self._latest.get(("", score_band)):
            return row, BaselineMatch.ALL_ORIGINS_LATEST
        return None, ""


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
    harvest_year: int
    official_score: Decimal | None
    classification: str
    verified_badge: str = ""
    has_competition_tag: bool = False
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


def premium_compute(lot: PremiumInputs, ctx: PricingContext) -> PremiumResult:
    rate, valid_on = ctx.rate(lot.currency)
    if rate is None:
        return PremiumResult(status=PremiumStatus.NO_RATE)
    with localcontext(_WIDE):
        if lot.price_unit == PriceUnit.KG:
            usd_per_lb_raw = lot.price * KG_PER_LB * rate
            asking_per_kg = q_price(lot.price * rate)
        else:
            usd_per_lb_raw = lot.price * rate
            asking_per_kg = q_price(lot.price * rate / KG_PER_LB)
        result = PremiumResult(
            status=PremiumStatus.OK, asking_usd_per_kg=asking_per_kg, rate_usd_per_unit=rate, rate_valid_on=valid_on
        )
        competition = lot.has_competition_tag
        high_score = lot.official_score is not None and lot.official_score >= conf.HIGH_SCORE
        result.flag_high_price = asking_per_kg >= conf.HIGH_PRICE_USD_PER_KG and not competition and not high_score
        adjustment = ctx.adjustment(lot.origin, lot.incoterm)
        if adjustment is None:
            result.status = PremiumStatus.NO_ADJUSTMENT
            return result
        fob = q_price(usd_per_lb_raw + adjustment)
        result.incoterm_adjustment = adjustment
        result.fob_usd_per_lb = fob
        baseline, match = ctx.baselines.choose(lot.origin, lot.harvest_year)
        if baseline is None:
            result.status = PremiumStatus.NO_BASELINE
            return result
        ratio = q_ratio(fob / baseline.median)
        result.baseline_id, result.baseline_match, result.baseline_median = baseline.id, match, baseline.median
        result.premium_ratio = ratio
        band = score_band_for(lot.official_score)
        result.score_band = band
        if band:
            band_row, _match = ctx.baselines.choose(lot.origin, lot.harvest_year, band)
            if band_row is not None:
                result.band_baseline_id, result.band_median = band_row.id, band_row.median
                result.band_ratio = q_ratio(fob / band_row.median)
                result.band_position = band_position(fob, band_row.p25, band_row.median, band_row.p75)
    claims_micro = lot.classification in CLAIMING_CLASSES or bool(lot.verified_badge) or lot.has_open_claim
    result.flag_under_2x = claims_micro and ratio < conf.MICRO_MIN_RATIO
    result.flag_over_10x = ratio > conf.MICRO_MAX_RATIO and lot.classification != "nano" and not competition
    return result
