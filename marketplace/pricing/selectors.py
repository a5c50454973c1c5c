"""Reads of the pricing tables and the lot fields a premium rests on."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from core.models import ExchangeRate
from lots.models import PUBLIC_STATUSES, Lot
from marketplace.pricing.compute import BaselineIndex, BaselineRow, PremiumInputs, PricingContext
from marketplace.pricing.models import (
    CPrice,
    IncotermAdjustment,
    LotPremium,
    SpecialtyBaseline,
    harvest_year_for,
    size_band_for,
)
from marketplace.pricing.scores import official_scores

CLAIM_CLOSED_STATUSES = ("rejected", "withdrawn")


def claim_model() -> Any:
    """The moderation app's micro-lot claim model, if it exists yet (a claim is a micro-lot claim)."""
    for name in ("MicroLotClaim", "Claim"):
        try:
            model = apps.get_model("moderation", name)
        except LookupError:
            continue
        if any(f.name == "lot" for f in model._meta.get_fields()):
            return model
    return None


def open_claims(model: Any) -> QuerySet[Any]:
    qs = model.objects.all()
    if any(f.name == "status" for f in model._meta.get_fields()):
        qs = qs.exclude(status__in=CLAIM_CLOSED_STATUSES)
    return qs


def baselines() -> QuerySet[SpecialtyBaseline]:
    return SpecialtyBaseline.objects.select_related("updated_by")


def c_prices() -> QuerySet[CPrice]:
    return CPrice.objects.all()


def latest_c_price() -> CPrice | None:
    return CPrice.objects.order_by("-observed_on", "-id").first()


def exchange_rates() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.all()


def incoterm_adjustments() -> QuerySet[IncotermAdjustment]:
    return IncotermAdjustment.objects.select_related("updated_by")


def latest_rates_dated() -> dict[str, tuple[Decimal, datetime.date | None]]:
    """Every currency's latest rate and the day it is valid for, in one query."""
    rates: dict[str, tuple[Decimal, datetime.date | None]] = {}
    for currency, rate, valid_on in ExchangeRate.objects.order_by("currency", "-valid_on").values_list(
        "currency", "usd_per_unit", "valid_on"
    ):
        rates.setdefault(currency, (rate, valid_on))
    return rates


def pricing_context() -> PricingContext:
    rows = [
        BaselineRow(**values)
        for values in SpecialtyBaseline.objects.values(
            "id", "edition", "published_on", "harvest_year", "origin", "score_band", "size_band", "p25", "median", "p75"
        )
    ]
    adjustments = {
        (origin, incoterm): value
        for origin, incoterm, value in IncotermAdjustment.objects.values_list("origin", "incoterm", "usd_per_lb")
    }
    return PricingContext(rates=latest_rates_dated(), adjustments=adjustments, baselines=BaselineIndex(rows))


def verified_competition_results() -> QuerySet[Any]:
    """Verified competition results, the one that names a lot's provenance first (newest, best rank)."""
    from marketplace.competitions.models import CompetitionResult, ResultStatus

    return CompetitionResult.objects.filter(status=ResultStatus.VERIFIED).order_by("-year", "rank", "id")


def _inputs_queryset(qs: QuerySet[Lot]) -> QuerySet[Lot]:
    qs = qs.annotate(
        competition_result_id=Subquery(verified_competition_results().filter(lot=OuterRef("pk")).values("pk")[:1]),
    )
    model = claim_model()
    if model is not None:
        qs = qs.annotate(has_claim=Exists(open_claims(model).filter(lot=OuterRef("pk"))))
    return qs


_INPUT_FIELDS = (
    "pk",
    "price",
    "currency",
    "price_unit",
    "incoterm",
    "origin_country",
    "harvest_year",
    "harvest_start",
    "harvest_end",
    "weight_kg",
    "classification",
    "verified_badge",
    "competition_result_id",
)


def premium_inputs(qs: QuerySet[Lot]) -> list[PremiumInputs]:
    """The inputs of every lot in ``qs``, in three queries' worth of work (no N+1)."""
    qs = _inputs_queryset(qs)
    with_claim = claim_model() is not None
    fields = (*_INPUT_FIELDS, "has_claim") if with_claim else _INPUT_FIELDS
    rows = list(qs.values_list(*fields))
    scores = official_scores([row[0] for row in rows])
    out = []
    for row in rows:
        out.append(
            PremiumInputs(
                lot_id=row[0],
                price=row[1],
                currency=row[2],
                price_unit=row[3],
                incoterm=row[4],
                origin=(row[5] or "").upper(),
                harvest_year=harvest_year_for(harvest_start=row[7], harvest_end=row[8], harvest_year=row[6]),
                size_band=size_band_for(row[9]),
                classification=row[10],
                scores=scores.get(row[0], {}),
                verified_badge=row[11] or "",
                competition_result_id=row[12],
                has_open_claim=bool(row[13]) if with_claim else False,
            )
        )
    return out


def sweepable_lots() -> QuerySet[Lot]:
    return Lot.objects.filter(status__in=PUBLIC_STATUSES)


def lot_premium(lot_id: int) -> LotPremium | None:
    return (
        LotPremium.objects.select_related("baseline", "band_baseline", "competition_result")
        .filter(lot_id=lot_id)
        .first()
    )


def lot_visible_to(user: Any, lot_id: int) -> Lot | None:
    """A lot whose premium ``user`` may see: public lots for everyone, drafts for their producer and moderators."""
    lot = Lot.objects.filter(pk=lot_id).first()
    if lot is None:
        return None
    if lot.is_public:
        return lot
    if getattr(user, "is_authenticated", False) and (lot.producer_id == user.pk or user.role == "moderator"):
        return lot
    return None
