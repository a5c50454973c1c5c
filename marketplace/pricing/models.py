"""Specialty price baselines, the ICE "C" reference series, incoterm adjustments and each lot's premium.

Baseline prices are FOB USD per lb of green coffee, as the Specialty Coffee Transaction Guide
publishes them. Exchange rates live in ``core.models.ExchangeRate``; this app only edits them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import Incoterm


class ScoreBand(models.TextChoices):
    """Two-point SCA score bands, as the Transaction Guide reports them ("all" = every score)."""

    ALL = "all", _("All scores")
    B80 = "80-82", "80–81.99"
    B82 = "82-84", "82–83.99"
    B84 = "84-86", "84–85.99"
    B86 = "86-88", "86–87.99"
    B88 = "88-90", "88–89.99"
    B90 = "90+", "90+"


# Lower edge of each band; a score below the first edge is not specialty and has no band.
SCORE_BAND_EDGES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("90"), ScoreBand.B90),
    (Decimal("88"), ScoreBand.B88),
    (Decimal("86"), ScoreBand.B86),
    (Decimal("84"), ScoreBand.B84),
    (Decimal("82"), ScoreBand.B82),
    (Decimal("80"), ScoreBand.B80),
)


def score_band_for(score: Decimal | None) -> str:
    """The band of an official score; "" when there is no score or it is below 80 (not specialty)."""
    if score is None:
        return ""
    for edge, band in SCORE_BAND_EDGES:
        if score >= edge:
            return band
    return ""


class SizeBand(models.TextChoices):
    """Contract size in lb of green coffee ("all" = every size)."""

    ALL = "all", _("All lot sizes")
    LT_1000 = "lt1000", _("under 1,000 lb")
    B1000_10000 = "1000-10000", _("1,000–10,000 lb")
    B10000_40000 = "10000-40000", _("10,000–40,000 lb")
    GT_40000 = "gt40000", _("over 40,000 lb")


# Upper edge (lb, exclusive for the first, inclusive after) of each lot-size band, smallest first.
_SIZE_BAND_EDGES_LB: tuple[tuple[Decimal, bool, str], ...] = (
    (Decimal("1000"), False, SizeBand.LT_1000),
    (Decimal("10000"), True, SizeBand.B1000_10000),
    (Decimal("40000"), True, SizeBand.B10000_40000),
)


def size_band_for(weight_kg: Decimal | None) -> str:
    """The Transaction Guide lot-size band of a lot of ``weight_kg`` green (1 lb = 0.45359237 kg).

    Under 1,000 lb (453.59237 kg) is ``lt1000``; 1,000 lb exactly starts the next band.
    """
    from core.money import KG_PER_LB

    if weight_kg is None:
        return ""
    for edge_lb, inclusive, band in _SIZE_BAND_EDGES_LB:
        edge_kg = edge_lb * KG_PER_LB
        if weight_kg < edge_kg or (inclusive and weight_kg == edge_kg):
            return band
    return SizeBand.GT_40000


def harvest_year_for(
    *, harvest_start: datetime.date | None, harvest_end: datetime.date | None, harvest_year: int
) -> int:
    """The October–September harvest year (its starting year) a lot's harvest belongs to.

    DOMAIN.md §6.1: the Transaction Guide reports per harvest year, October to September, so a
    harvest that started in January 2020 belongs to 2019/20 and one that started in November 2019
    too. The harvest start decides (else the end); a lot with no dates has only ``harvest_year``
    (the calendar year its harvest started), which is read as the harvest year that starts in it,
    the convention of the baseline table itself.
    """
    day = harvest_start or harvest_end
    if day is None:
        return harvest_year
    return day.year if day.month >= 10 else day.year - 1


def harvest_label(year: int | None) -> str:
    """``2022`` → ``"2022/23"``."""
    if year is None:
        return ""
    return f"{year}/{(year + 1) % 100:02d}"


class SpecialtyBaseline(models.Model):
    """One row of a baseline table: p25 / median / p75 FOB USD/lb for a slice of the market."""

    edition = models.CharField(_("edition"), max_length=60, help_text=_('e.g. "2023 (v6)"'))
    published_on = models.DateField(_("published on"), null=True, blank=True)
    harvest_year = models.PositiveSmallIntegerField(
        _("harvest year"), help_text=_("The year the October–September harvest year starts: 2022 = 2022/23")
    )
    origin = models.CharField(
        _("origin"), max_length=2, blank=True, default="", help_text=_("ISO 3166 alpha-2; empty = all origins")
    )
    score_band = models.CharField(_("score band"), max_length=6, choices=ScoreBand.choices, default=ScoreBand.ALL)
    size_band = models.CharField(_("lot size band"), max_length=12, choices=SizeBand.choices, default=SizeBand.ALL)
    p25 = models.DecimalField(_("25th percentile (USD/lb)"), max_digits=8, decimal_places=4, null=True, blank=True)
    median = models.DecimalField(_("median (USD/lb)"), max_digits=8, decimal_places=4)
    p75 = models.DecimalField(_("75th percentile (USD/lb)"), max_digits=8, decimal_places=4, null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    source_url = models.URLField(_("source address"), blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-harvest_year", "origin", "score_band", "size_band", "-edition"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "harvest_year", "origin", "score_band", "size_band"], name="baseline_once"
            ),
            models.CheckConstraint(condition=Q(median__gt=0), name="baseline_median_positive"),
            models.CheckConstraint(condition=Q(p25__isnull=True) | Q(p25__lte=models.F("median")), name="baseline_p25"),
            models.CheckConstraint(condition=Q(p75__isnull=True) | Q(p75__gte=models.F("median")), name="baseline_p75"),
        ]
        verbose_name = _("specialty baseline")
        verbose_name_plural = _("specialty baselines")

    def __str__(self) -> str:
        origin = self.origin or "all origins"
        return f"{self.edition} {self.harvest_label} {origin} {self.score_band}/{self.size_band}: {self.median}"

    @property
    def harvest_label(self) -> str:
        return harvest_label(self.harvest_year)


class CPriceKind(models.TextChoices):
    AVERAGE = "average", _("Harvest-year average")
    CLOSE = "close", _("Close")
    LEVEL = "level", _("Approximate level")
    PEAK = "peak", _("Peak")


class CPrice(models.Model):
    """A dated point of the ICE "C" arabica futures reference series (USD per lb)."""

    observed_on = models.DateField(_("date"), help_text=_("For averages and approximate levels: the end of the period"))
    label = models.CharField(_("label"), max_length=120, help_text=_('How the source states it, e.g. "mid-Jun 2025"'))
    kind = models.CharField(_("kind"), max_length=10, choices=CPriceKind.choices, default=CPriceKind.CLOSE)
    usd_per_lb = models.DecimalField(_("USD per lb"), max_digits=8, decimal_places=4)
    usd_per_lb_high = models.DecimalField(
        _("USD per lb (top of a range)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    contract = models.CharField(_("contract month"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["observed_on", "kind", "contract"], name="cprice_once"),
            models.CheckConstraint(condition=Q(usd_per_lb__gt=0), name="cprice_positive"),
            models.CheckConstraint(
                condition=Q(usd_per_lb_high__isnull=True) | Q(usd_per_lb_high__gte=models.F("usd_per_lb")),
                name="cprice_range_ordered",
            ),
        ]
        verbose_name = _("C price")
        verbose_name_plural = _("C prices")

    def __str__(self) -> str:
        return f"C {self.usd_per_lb} USD/lb ({self.label}, {self.observed_on})"


class IncotermAdjustment(models.Model):
    """USD per lb added to a price on ``incoterm`` to estimate its FOB equivalent (our assumption).

    Negative for terms that include freight (CIF, CFR, DAP, DDP), positive for terms that stop
    before the port of loading (EXW). A row with an empty origin applies to every origin without
    its own row.
    """

    origin = models.CharField(
        _("origin"), max_length=2, blank=True, default="", help_text=_("ISO 3166 alpha-2; empty = all origins")
    )
    incoterm = models.CharField(_("incoterm"), max_length=3, choices=Incoterm.choices)
    usd_per_lb = models.DecimalField(_("adjustment to FOB (USD/lb)"), max_digits=8, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["origin", "incoterm"]
        constraints = [models.UniqueConstraint(fields=["origin", "incoterm"], name="incoterm_adjustment_once")]
        verbose_name = _("incoterm adjustment")
        verbose_name_plural = _("incoterm adjustments")

    def __str__(self) -> str:
        return f"{self.incoterm} {self.origin or '*'}: {self.usd_per_lb:+} USD/lb"

    def clean(self) -> None:
        if self.incoterm == Incoterm.FOB:
            raise ValidationError({"incoterm": _("FOB is the reference: it needs no adjustment.")})


class PremiumStatus(models.TextChoices):
    OK = "ok", _("Computed")
    NO_RATE = "no_rate", _("No exchange rate for the currency")
    NO_ADJUSTMENT = "no_adjustment", _("No FOB adjustment for the incoterm")
    NO_BASELINE = "no_baseline", _("No baseline")


class BaselineMatch(models.TextChoices):
    """Whether the row is the origin's or all origins', and of the lot's harvest year or earlier.

    (The codes predate stale-baseline handling: "latest" now means the nearest earlier harvest
    year that has a row, never a later one.)
    """

    ORIGIN_YEAR = "origin_year", _("origin and harvest year")
    ALL_ORIGINS_YEAR = "all_origins_year", _("all origins, same harvest year")
    ORIGIN_LATEST = "origin_latest", _("origin, an earlier harvest year")
    ALL_ORIGINS_LATEST = "all_origins_latest", _("all origins, an earlier harvest year")


class ScoreBasis(models.TextChoices):
    """Which score chose the score band (DOMAIN.md §6.1: only SCA 2004 scores have bands)."""

    SCA2004 = "sca2004", _("SCA 2004 score")
    OTHER_SCALE = "other_scale", _("scored on another scale only (no Transaction Guide band)")
    NONE = "none", _("no independent score")


class BandPosition(models.TextChoices):
    BELOW_P25 = "below_p25", _("below the 25th percentile")
    P25_MEDIAN = "p25_median", _("between the 25th percentile and the median")
    MEDIAN_P75 = "median_p75", _("between the median and the 75th percentile")
    ABOVE_P75 = "above_p75", _("above the 75th percentile")
    BELOW_MEDIAN = "below_median", _("below the median")
    ABOVE_MEDIAN = "above_median", _("at or above the median")


class PremiumFlag(models.TextChoices):
    UNDER_2X = "under_2x", _("Under 2× the baseline on a lot that claims micro-lot status")
    OVER_10X = "over_10x", _("Over 10× the baseline without nano-lot context or a verified competition result")
    HIGH_PRICE = "high_price", _("200 USD/kg or more without a verified competition result or a 90+ SCA 2004 score")


class LotPremium(models.Model):
    """A lot's price against the baselines, as last computed (one row per lot).

    ``premium_ratio`` is copied to ``Lot.premium_ratio`` for the catalogue. ``changed_at`` moves only
    when the ratio or a flag changes; ``computed_at`` moves on every computation.
    """

    # The lot is the primary key: one index fewer for the sweep to maintain on 100,000 upserts.
    lot = models.OneToOneField("lots.Lot", on_delete=models.CASCADE, primary_key=True, related_name="premium")
    status = models.CharField(max_length=16, choices=PremiumStatus.choices)
    asking_usd_per_kg = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    fob_usd_per_lb = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    rate_usd_per_unit = models.DecimalField(max_digits=20, decimal_places=10, null=True)
    rate_valid_on = models.DateField(null=True)
    incoterm_adjustment = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    # Baseline FKs carry no index: the sweep rewrites these rows in bulk and nothing looks them up
    # by baseline except a moderator deleting one, which may scan.
    baseline = models.ForeignKey(
        SpecialtyBaseline, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    baseline_match = models.CharField(max_length=20, choices=BaselineMatch.choices, blank=True)
    baseline_median = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    premium_ratio = models.DecimalField(max_digits=10, decimal_places=3, null=True)
    score_band = models.CharField(max_length=6, blank=True)
    band_baseline = models.ForeignKey(
        SpecialtyBaseline, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    band_median = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    band_ratio = models.DecimalField(max_digits=10, decimal_places=3, null=True)
    band_position = models.CharField(max_length=12, choices=BandPosition.choices, blank=True)
    flag_under_2x = models.BooleanField(default=False)
    flag_over_10x = models.BooleanField(default=False)
    flag_high_price = models.BooleanField(default=False)
    # What the baseline was chosen for (DOMAIN.md §6.1): the lot's October–September harvest year,
    # its lot-size band, and the score that picked the band (SCA 2004 only).
    lot_harvest_year = models.PositiveSmallIntegerField(null=True)
    lot_size_band = models.CharField(max_length=12, blank=True)
    score_basis = models.CharField(max_length=12, choices=ScoreBasis.choices, blank=True)
    score_protocol = models.CharField(max_length=10, blank=True)
    score_value = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    # The row used, copied so the premium keeps naming it after the row is edited or deleted.
    baseline_edition = models.CharField(max_length=60, blank=True)
    baseline_harvest_year = models.PositiveSmallIntegerField(null=True)
    baseline_origin = models.CharField(max_length=2, blank=True)
    baseline_score_band = models.CharField(max_length=6, blank=True)
    baseline_size_band = models.CharField(max_length=12, blank=True)
    # Harvest years between the lot's and the row's (0 = the lot's own year).
    years_stale = models.PositiveSmallIntegerField(null=True)
    band_edition = models.CharField(max_length=60, blank=True)
    band_harvest_year = models.PositiveSmallIntegerField(null=True)
    band_origin = models.CharField(max_length=2, blank=True)
    # DOMAIN.md §7: a verified competition result makes a high price expected evidence. The >10×
    # and ≥ 200 USD/kg flags it replaced are recorded as ``competition_excused`` (the note shown).
    competition_result = models.ForeignKey(
        "competitions.CompetitionResult", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    competition_excused = models.BooleanField(default=False)
    computed_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("lot premium")
        verbose_name_plural = _("lot premiums")

    def __str__(self) -> str:
        return f"lot {self.lot_id}: {self.premium_ratio}×"

    @property
    def flags(self) -> list[str]:
        return [
            flag.value
            for flag, on in (
                (PremiumFlag.UNDER_2X, self.flag_under_2x),
                (PremiumFlag.OVER_10X, self.flag_over_10x),
                (PremiumFlag.HIGH_PRICE, self.flag_high_price),
            )
            if on
        ]

    @property
    def flag_labels(self) -> list[str]:
        return [str(PremiumFlag(flag).label) for flag in self.flags]

    # --- how the premium is described wherever it is shown ------------------------------------

    @property
    def baseline_harvest_label(self) -> str:
        return harvest_label(self.baseline_harvest_year)

    @property
    def lot_harvest_label(self) -> str:
        return harvest_label(self.lot_harvest_year)

    @property
    def is_stale(self) -> bool:
        return bool(self.years_stale)

    @property
    def baseline_row_label(self) -> str:
        """ "all origins · 86–87.99 · under 1,000 lb": the row's slice, "all" for each open dimension."""
        if not self.baseline_edition:
            return ""
        return row_label(self.baseline_origin, self.baseline_score_band, self.baseline_size_band)

    @property
    def baseline_summary(self) -> str:
        """The edition, harvest year and row every shown premium names (DOMAIN.md §6.1)."""
        if not self.baseline_edition:
            return ""
        return str(
            _("Transaction Guide %(edition)s, harvest %(harvest)s, row: %(row)s")
            % {"edition": self.baseline_edition, "harvest": self.baseline_harvest_label, "row": self.baseline_row_label}
        )

    @property
    def baseline_phrase(self) -> str:
        """The same, to follow a ratio: "4.2× the Transaction Guide 2023 (v6) baseline for 2022/23 (…)"."""
        if not self.baseline_edition:
            return ""
        return str(
            _("the Transaction Guide %(edition)s baseline for %(harvest)s (%(row)s)")
            % {"edition": self.baseline_edition, "harvest": self.baseline_harvest_label, "row": self.baseline_row_label}
        )

    @property
    def band_summary(self) -> str:
        if not self.band_edition:
            return ""
        return str(
            _("Transaction Guide %(edition)s, harvest %(harvest)s, row: %(row)s")
            % {
                "edition": self.band_edition,
                "harvest": harvest_label(self.band_harvest_year),
                "row": row_label(self.band_origin, self.score_band, SizeBand.ALL),
            }
        )

    @property
    def notes(self) -> list[dict[str, str]]:
        """Explanations shown with the figure: stale baseline, another scale, competition lot."""
        out: list[dict[str, str]] = []
        if self.years_stale and self.lot_harvest_year is not None:
            out.append(
                {
                    "code": "stale_baseline",
                    "text": str(
                        _(
                            "No baseline for the lot's harvest %(lot)s yet: compared with %(row)s, the latest "
                            "edition available (%(n)s harvest years earlier)."
                        )
                        % {"lot": self.lot_harvest_label, "row": self.baseline_harvest_label, "n": self.years_stale}
                    ),
                }
            )
        if self.score_basis == ScoreBasis.OTHER_SCALE:
            out.append(
                {
                    "code": "other_scale",
                    "text": str(
                        _(
                            "Scored %(protocol)s %(score)s only: Transaction Guide score bands are on the SCA 2004 "
                            "scale, so the lot is compared with its year's all-scores row."
                        )
                        % {"protocol": protocol_label(self.score_protocol), "score": self.score_value}
                    ),
                }
            )
        if self.competition_result_id is not None:
            result = self.competition_result
            out.append(
                {
                    "code": "competition_lot",
                    "text": str(
                        _("Competition lot: %(result)s, verified by a moderator. A high price is expected evidence.")
                        % {"result": result.title if result is not None else ""}
                    ),
                }
            )
        return out


def protocol_label(protocol: str) -> str:
    """The short scale name shown beside a score ("SCA 87.25", "CVA 84.50"), as cupping names it."""
    from cupping.scoring import PROTOCOL_SHORT

    return str(PROTOCOL_SHORT.get(protocol, protocol.upper()))


def row_label(origin: str, score_band: str, size_band: str) -> str:
    """ "ET · 86–87.99 points · all lot sizes": each dimension of a baseline row, or "all"."""
    origin_text = origin or str(_("all origins"))
    if score_band in ("", ScoreBand.ALL):
        band_text = str(_("all scores"))
    else:
        label = ScoreBand(score_band).label if score_band in ScoreBand.values else score_band
        band_text = str(_("%(band)s points") % {"band": label})
    if size_band in ("", SizeBand.ALL):
        size_text = str(_("all lot sizes"))
    else:
        size_text = str(SizeBand(size_band).label) if size_band in SizeBand.values else size_band
    return f"{origin_text} · {band_text} · {size_text}"
