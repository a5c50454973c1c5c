"""Reads for farms, plots, lots and the catalogue. No N+1: every list prefetches what it shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet

from core.money import KG_PER_LB
from lots.models import (
    PUBLIC_STATUSES,
    CustodyEvent,
    Farm,
    Lot,
    LotPhoto,
    LotStatus,
    LotTag,
    Plot,
    Variety,
)

SORTS: dict[str, list[Any]] = {
    "newest": [F("listed_at").desc(nulls_last=True), "-id"],
    "price_asc": [F("price_usd_per_kg").asc(nulls_last=True), "-id"],
    "price_desc": [F("price_usd_per_kg").desc(nulls_last=True), "-id"],
    "score_desc": [F("official_score").desc(nulls_last=True), "-id"],
    "premium_desc": [F("premium_ratio").desc(nulls_last=True), "-id"],
    "premium_asc": [F("premium_ratio").asc(nulls_last=True), "-id"],
    "weight_asc": ["weight_kg", "-id"],
    "weight_desc": ["-weight_kg", "-id"],
}


@dataclass
class CatalogueFilters:
    """Parsed catalogue parameters (see lots.forms.CatalogueFilterForm)."""

    q: str = ""
    country: str = ""
    region: str = ""
    process: str = ""
    variety: str = ""  # a Variety slug
    score_min: Decimal | None = None
    score_max: Decimal | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    price_unit: str = "kg"
    weight_min: Decimal | None = None
    weight_max: Decimal | None = None
    classification: list[str] = field(default_factory=list)
    verified: bool = False
    tag: str = ""
    sort: str = "newest"
    status: str = LotStatus.LISTED


def _per_kg(value: Decimal, unit: str) -> Decimal:
    return value / KG_PER_LB if unit == "lb" else value


def lot_list_queryset(*, for_api: bool = False) -> QuerySet[Lot]:
    """The row shape every list (page, API, CSV) uses: a fixed number of queries per page."""
    qs = Lot.objects.select_related("farm", "variety", "variety_suggestion", "producer", "producer__producer_profile")
    if for_api:
        return qs.prefetch_related(
            Prefetch("tags", queryset=LotTag.objects.order_by("tag")),
            Prefetch("plots", queryset=Plot.objects.only("id")),
            "group_members",
            "official_scores",  # cupping's per-protocol scores (lot API ``official_scores``)
        )
    return qs.prefetch_related(
        Prefetch("tags", queryset=LotTag.objects.order_by("tag")),
        Prefetch("photos", queryset=LotPhoto.objects.order_by("created_at", "id")),
    )


def search(qs: QuerySet[Lot], text: str) -> QuerySet[Lot]:
    """PostgreSQL full-text search on PostgreSQL; a plain icontains anywhere else."""
    text = text.strip()[:200]
    if not text:
        return qs
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(
            "name",
            "code",
            "story",
            "variety_as_declared",
            "variety__name",
            "farm__name",
            "farm__region",
            config="simple",
        )
        return qs.annotate(search=vector).filter(search=SearchQuery(text, search_type="websearch", config="simple"))
    terms = [t for t in text.split() if t][:8]
    for term in terms:
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(code__icontains=term)
            | Q(story__icontains=term)
            | Q(variety_as_declared__icontains=term)
            | Q(variety__name__icontains=term)
            | Q(farm__name__icontains=term)
            | Q(farm__region__icontains=term)
        )
    return qs


def catalogue(filters: CatalogueFilters, *, base: QuerySet[Lot] | None = None) -> QuerySet[Lot]:
    """Lots of one public status (listed by default) matching the filters, sorted; the caller paginates."""
    qs = base if base is not None else lot_list_queryset()
    status = filters.status if filters.status in PUBLIC_STATUSES else LotStatus.LISTED
    qs = qs.filter(status=status)
    if status == LotStatus.LISTED:
        # Listed means kilograms are left to sell (a partly contracted lot stays, showing the rest);
        # the status follows the kilograms, and this keeps a lot with nothing left out regardless.
        qs = qs.filter(reserved_kg__lt=F("weight_kg"))
    if filters.country:
        qs = qs.filter(origin_country=filters.country.upper())
    if filters.region:
        qs = qs.filter(
            Q(farm__region__icontains=filters.region)
            | Q(pk__in=Plot.lots.through.objects.filter(plot__region__icontains=filters.region).values("lot_id"))
            | Q(farm__isnull=True, producer__producer_profile__region__icontains=filters.region)
        )
    if filters.process:
        qs = qs.filter(process=filters.process)
    if filters.variety:
        qs = qs.filter(variety__slug=filters.variety)
    if filters.score_min is not None:
        qs = qs.filter(official_score__gte=filters.score_min)
    if filters.score_max is not None:
        qs = qs.filter(official_score__lte=filters.score_max)
    if filters.price_min is not None:
        qs = qs.filter(price_usd_per_kg__gte=_per_kg(filters.price_min, filters.price_unit))
    if filters.price_max is not None:
        qs = qs.filter(price_usd_per_kg__lte=_per_kg(filters.price_max, filters.price_unit))
    if filters.weight_min is not None:
        qs = qs.filter(weight_kg__gte=filters.weight_min)
    if filters.weight_max is not None:
        qs = qs.filter(weight_kg__lte=filters.weight_max)
    if filters.classification:
        qs = qs.filter(classification__in=filters.classification)
    if filters.verified:
        qs = qs.exclude(verified_badge="")
    if filters.tag:
        qs = qs.filter(tags__tag=filters.tag)
    qs = search(qs, filters.q)
    return qs.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def visible_lots(user: Any) -> QuerySet[Lot]:
    """Lots ``user`` may open: public ones, their own, and everything for moderators."""
    qs = Lot.objects.all()
    if getattr(user, "is_authenticated", False):
        if getattr(user, "is_moderator", False):
            return qs
        return qs.filter(Q(status__in=PUBLIC_STATUSES) | Q(producer=user))
    return qs.filter(status__in=PUBLIC_STATUSES)


def can_see_private(user: Any, lot: Lot) -> bool:
    """Private evidence (documents, photo EXIF, drafts): the lot's producer and moderators only."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk == lot.producer_id or getattr(user, "is_moderator", False)


def lot_detail(user: Any, pk: int) -> Lot | None:
    return (
        visible_lots(user)
        .select_related("farm", "variety", "variety_suggestion", "producer", "producer__producer_profile")
        .prefetch_related(
            Prefetch("plots", queryset=Plot.objects.select_related("farm").prefetch_related("varieties")),
            "group_members",
            Prefetch("tags", queryset=LotTag.objects.order_by("tag")),
            Prefetch("photos", queryset=LotPhoto.objects.order_by("created_at", "id")),
        )
        .filter(pk=pk)
        .first()
    )


def custody_events(lot: Lot) -> list[CustodyEvent]:
    return list(
        CustodyEvent.objects.filter(lot=lot)
        .select_related("recorded_by", "corrects")
        .prefetch_related("documents")
        .order_by("seq")
    )


def producer_farms(user: Any) -> QuerySet[Farm]:
    return Farm.objects.filter(producer=user).prefetch_related(
        Prefetch("plots", queryset=Plot.objects.prefetch_related("varieties").order_by("name"))
    )


def producer_plots(user: Any) -> QuerySet[Plot]:
    return Plot.objects.filter(farm__producer=user).select_related("farm").prefetch_related("varieties")


def producer_lots(user: Any) -> QuerySet[Lot]:
    return (
        Lot.objects.filter(producer=user)
        .select_related("farm", "variety")
        .prefetch_related("tags")
        .order_by("-updated_at", "-id")
    )


def variety_choices() -> list[tuple[str, str]]:
    return list(Variety.objects.order_by("name").values_list("slug", "name"))


def catalogue_countries() -> list[str]:
    return list(
        Lot.objects.filter(status=LotStatus.LISTED)
        .order_by("origin_country")
        .values_list("origin_country", flat=True)
        .distinct()
    )


def origin_of(lot: Lot) -> tuple[str, str]:
    """(country, region) of a lot: its farm's, or the producer group's."""
    if lot.farm_id and lot.farm is not None:
        return lot.farm.country, lot.farm.region
    profile = getattr(lot.producer, "producer_profile", None)
    return (profile.country, profile.region) if profile else ("", "")


def passport(lot: Lot) -> dict[str, Any]:
    """The EUDR passport: a GeoJSON FeatureCollection of the lot's plots (WGS 84, [lon, lat])."""
    country, region = origin_of(lot)
    profile = getattr(lot.producer, "producer_profile", None)
    producer_name = profile.organisation if profile else str(lot.producer)
    features = []
    for plot in lot.plots.all():
        check = plot.area_check
        features.append(
            {
                "type": "Feature",
                "id": f"plot-{plot.pk}",
                "geometry": plot.geometry,
                "properties": {
                    "ProducerName": producer_name,
                    "ProducerCountry": plot.farm.country,
                    "ProductionPlace": f"{plot.farm.name} / {plot.name}",
                    "Area": plot.area_ha,
                    "area_from_geometry_ha": check.computed_ha,
                    "area_agrees": check.agrees,
                    "area_note": check.message,
                    "region": plot.region or plot.farm.region,
                    "altitude_masl": plot.altitude_masl or plot.farm.altitude_masl,
                    "lot_code": lot.code,
                    "harvest_start": lot.harvest_start.isoformat() if lot.harvest_start else None,
                    "harvest_end": lot.harvest_end.isoformat() if lot.harvest_end else None,
                    "harvest_year": lot.harvest_year,
                    "quantity_kg": str(lot.weight_kg),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "lot": {
            "id": lot.pk,
            "code": lot.code,
            "name": lot.name,
            "hs_code": "0901",
            "product": "green coffee",
            "producer": producer_name,
            "country": country,
            "region": region,
            "quantity_kg": str(lot.weight_kg),
            "harvest_start": lot.harvest_start.isoformat() if lot.harvest_start else None,
            "harvest_end": lot.harvest_end.isoformat() if lot.harvest_end else None,
            "harvest_year": lot.harvest_year,
            "group_members": [m.name for m in lot.group_members.all()],
            "custody": custody_head(lot),
        },
    }


def custody_head(lot: Lot) -> dict[str, Any]:
    """The custody chain's anchored head and whether the chain verifies against it.

    Passports carry it so that an importer who kept one can later show that the chain it was
    issued on is still whole (a chain shorter than, or diverging from, this head was tampered with).
    """
    from lots.custody import verify

    result = verify(lot)
    fresh = Lot.objects.filter(pk=lot.pk).values_list("custody_count", "custody_head_hash").get()
    return {
        "event_count": fresh[0],
        "head_hash": fresh[1],
        "verified": result.ok,
        "reason": result.reason,
        "code": result.code,
    }
