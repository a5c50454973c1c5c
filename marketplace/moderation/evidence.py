"""Gather a claim's evidence from the lots, cupping and pricing tables into ``hallmarks.Evidence``.

The cupping and pricing apps are optional here: if their models are missing the checks fall back to
the lot's denormalised columns (``official_score``, ``premium_ratio``), so moderation keeps working
while those apps evolve.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Sum
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lots.models import Additives, CustodyEvent, Lot, LotPhoto, Plot
from marketplace.moderation import conf
from marketplace.moderation.hallmarks import CustodyStep, Evidence, PlotEvidence, SheetEvidence

GENESIS = "0" * 64


def optional_model(label: str) -> Any:
    """A model of another app, or None while that app does not define it yet."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str | Promise = ""  # lazy where moderation writes it, so each language renders its own


def verify_chain(lot_id: int, events: list[CustodyEvent]) -> ChainCheck:
    """The lots app's full verification (content hashes) when present, else a link-only check."""
    try:
        from lots.services import custody_verify
    except ImportError:  # pragma: no cover - only before the lots custody services land
        return verify_links(events)
    res = custody_verify(lot_id)
    return ChainCheck(res.ok, res.count, res.first_broken_seq, res.reason)


def verify_links(events: Iterable[CustodyEvent]) -> ChainCheck:
    """Each event must follow the previous one in seq and carry its hash as ``prev_hash``."""
    expected_prev = GENESIS
    count = 0
    for index, event in enumerate(sorted(events, key=lambda e: e.seq), start=1):
        count = index
        if event.seq != index:
            return ChainCheck(False, index, event.seq, gettext_lazy("an event is missing from the sequence"))
        if event.prev_hash != expected_prev:
            return ChainCheck(False, index, event.seq, gettext_lazy("the link to the previous event does not match"))
        expected_prev = event.content_hash
    return ChainCheck(True, count)


def effective_custody(events: list[CustodyEvent]) -> list[CustodyEvent]:
    """The chain as corrected: a correcting event takes the place of the event it corrects."""
    by_pk = {e.pk: e for e in events}
    corrected = {e.corrects_id for e in events if e.corrects_id}

    def root_seq(event: CustodyEvent) -> int:
        seen = set()
        while event.corrects_id and event.corrects_id in by_pk and event.pk not in seen:
            seen.add(event.pk)
            event = by_pk[event.corrects_id]
        return event.seq

    live = [e for e in events if e.pk not in corrected]
    return sorted(live, key=lambda e: (root_seq(e), e.seq))


def _geometry_error_now(plot: Plot) -> str | None:
    if not plot.geometry:
        return str(_("not geolocated"))
    try:
        from lots.geo import parse_geometry, validate_geometry
    except ImportError:  # pragma: no cover
        return None
    try:
        validate_geometry(parse_geometry(plot.geometry), plot.area_ha)
    except ValidationError as exc:
        return " ".join(str(m) for m in exc.messages)
    return None


def plot_geometry_error(plot: Plot) -> Any:
    """None, or the error as lazy text: the lots app writes its messages in the active language,
    and the hallmark reasons are written in every language from one gathered Evidence."""
    if _geometry_error_now(plot) is None:
        return None
    return lazy(lambda: _geometry_error_now(plot) or "", str)()


def lot_for_evidence(lot_id: int) -> Lot:
    return (
        Lot.objects.select_related("farm", "producer", "producer__producer_profile", "variety")
        .prefetch_related(
            Prefetch("plots", queryset=Plot.objects.select_related("farm").order_by("pk")),
            "group_members",
            Prefetch(
                "custody_events",
                queryset=CustodyEvent.objects.select_related("recorded_by")
                .prefetch_related("documents")
                .order_by("seq"),
            ),
            Prefetch("photos", queryset=LotPhoto.objects.order_by("created_at", "id")),
        )
        .get(pk=lot_id)
    )


def producer_name(lot: Lot) -> str:
    profile = getattr(lot.producer, "producer_profile", None)
    return (getattr(profile, "organisation", "") or lot.producer.display_name or "").strip()


def active_sheets(lot: Lot) -> list[Any] | None:
    sheet_model = optional_model("cupping.CuppingSheet")
    if sheet_model is None:
        return None
    return list(sheet_model.objects.filter(lot=lot, status="active").select_related("grader").order_by("-cupped_on"))


def active_gradings(lot: Lot) -> list[Any]:
    grading_model = optional_model("cupping.GreenGrading")
    if grading_model is None:
        return []
    return list(grading_model.objects.filter(lot=lot, status="active").select_related("grader"))


def lot_premium(lot: Lot) -> Any | None:
    premium_model = optional_model("pricing.LotPremium")
    if premium_model is None:
        return None
    return premium_model.objects.filter(lot=lot).select_related("baseline", "competition_result").first()


def _premium_detail(premium: Any) -> Any:
    """The pricing app's description of the premium (edition, staleness, competition), if any."""
    try:
        from marketplace.pricing.evidence import premium_evidence
    except ImportError:  # pragma: no cover - only before the pricing app provides it
        return None
    return premium_evidence(premium)


def fallback_scores(lot: Lot) -> dict[str, Any]:
    """The catalogue score (already of the current harvest) when the cupping app is not installed."""
    if lot.official_score is None or not lot.official_score_protocol:
        return {}
    return {lot.official_score_protocol: lot.official_score}


def counting_sheet_ids(lot: Lot, harvest_years: set[int]) -> set[int]:
    """Sheets that would count for their harvest (the hallmark then keeps the current one and
    says so when only an earlier harvest was cupped)."""
    from cupping.services import counting_sheets

    ids: set[int] = set()
    for year in harvest_years:
        ids.update(counting_sheets(lot_id=lot.pk, harvest_year=year).values_list("pk", flat=True))
    return ids


def gather(*, claim: Any, lot: Lot | None = None) -> Evidence:
    lot = lot or lot_for_evidence(claim.lot_id)
    events = list(lot.custody_events.all())
    chain = verify_chain(lot.pk, events)
    sheets = active_sheets(lot)
    counting = counting_sheet_ids(lot, {s.harvest_year for s in sheets}) if sheets else set()
    premium = lot_premium(lot)
    premium_ratio = getattr(premium, "premium_ratio", None) if premium is not None else lot.premium_ratio
    baseline = getattr(premium, "baseline", None)
    live = effective_custody(events)
    plot_ids = [p.pk for p in lot.plots.all()]
    season_kg = (
        Lot.objects.filter(pk__in=Lot.objects.filter(plots__in=plot_ids).values("pk"), harvest_year=lot.harvest_year)
        .exclude(status="withdrawn")
        .aggregate(total=Sum("weight_kg"))["total"]
        if plot_ids
        else None
    )
    return Evidence(
        claim_kind=claim.kind,
        weight_kg=lot.weight_kg,
        process=lot.process,
        process_modifiers=[str(m) for m in lot.process_modifiers or []],
        harvest_year=lot.harvest_year,
        producer_name=producer_name(lot),
        farm_name=lot.farm.name if lot.farm else "",
        # usable_area_ha: None when the plot's polygon contradicts its declared area (lots.geo).
        plots=[PlotEvidence(p.name, p.usable_area_ha, plot_geometry_error(p)) for p in lot.plots.all()],
        group_members=[m.name for m in lot.group_members.all()],
        plot_season_kg=season_kg,
        custody=[
            CustodyStep(
                seq=e.seq,
                stage=e.stage,
                state_in=e.state_in,
                state_out=e.state_out,
                weight_in_kg=e.weight_in_kg,
                weight_out_kg=e.weight_out_kg,
                separated=e.separated,
                notes=e.notes,
            )
            for e in live
        ],
        chain_ok=chain.ok,
        chain_reason=cast(str, chain.reason),  # lazy text: rendered in each language
        chain_broken_seq=chain.first_broken_seq,
        sheets=None
        if sheets is None
        else [
            SheetEvidence(
                grader_id=s.grader_id,
                # The cupping app's own rule, read live: independent, by an active grader whose
                # licence is verified and was valid on the cupping day (issue "Trust I": sheets of
                # an unverified or lapsed licence never count, here no more than in the score).
                independent=s.pk in counting,
                score=s.final_score,
                protocol=s.protocol,
                has_signed_original=bool(s.original),
                harvest_year=s.harvest_year,
                cupped_on=s.cupped_on,
                sheet_id=s.pk,
            )
            for s in sheets
        ],
        # None: hallmarks.lot_official_scores derives them from the sheets above (current harvest,
        # per protocol). This is the line to fill from cupping.selectors.lot_official_scores(lot=lot)
        # once the cupping app offers it; without the cupping app, the lot's denormalised score.
        official_scores=None if sheets is not None else fallback_scores(lot),
        signed_originals=sum(1 for s in sheets or [] if s.original),
        green_gradings=len(active_gradings(lot)),
        plot_photos=sum(1 for p in lot.photos.all() if p.kind == "plot"),
        premium_ratio=premium_ratio,
        premium_flags=list(getattr(premium, "flags", []) or []),
        premium_detail=_premium_detail(premium),
        # Lazy texts: each reason is written in every language from this one Evidence.
        baseline_label=lazy(lambda: _("the %(origin)s specialty baseline") % {"origin": baseline.origin}, str)()
        if baseline is not None and baseline.origin
        else "",
        additives=lot.additives,
        additives_detail=lot.additives_detail,
        additives_label=cast(str, Additives(lot.additives).label) if lot.additives in Additives.values else "",
        texts=[lot.story, lot.name, *(e.notes for e in events)],
    )


# --- Photo checks shown to moderators (not a hallmark: a human weighs them) ----------------------


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _in_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / ((y2 - y1) or 1e-12) + x1:
            inside = not inside
    return inside


def _segment_distance_m(lat: float, lon: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres from a point to a boundary segment, on a local flat projection (plots are small)."""
    r = 6371008.8
    k = math.cos(math.radians(lat))

    def xy(p_lat: float, p_lon: float) -> tuple[float, float]:
        return math.radians(p_lon - lon) * k * r, math.radians(p_lat - lat) * r

    ax, ay = xy(*a)
    bx, by = xy(*b)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def distance_to_plot_m(lat: float, lon: float, geometry: dict[str, Any] | None) -> float | None:
    """0 inside the plot's polygon, else metres to its point or nearest vertex; None if unknown."""
    if not geometry or "coordinates" not in geometry:
        return None
    try:
        if geometry.get("type") == "Point":
            plon, plat = geometry["coordinates"][:2]
            return _haversine_m(lat, lon, float(plat), float(plon))
        best: float | None = None
        for poly in _polygons(geometry):
            outer = [[float(x), float(y)] for x, y, *_rest in poly[0]]
            if _in_ring(lon, lat, outer):
                return 0.0
            for (x1, y1), (x2, y2) in itertools.pairwise(outer):
                d = _segment_distance_m(lat, lon, (y1, x1), (y2, x2))
                best = d if best is None or d < best else best
        return best
    except (TypeError, ValueError, IndexError, KeyError):
        return None


@dataclass(frozen=True)
class PhotoCheck:
    photo: LotPhoto
    distance_m: float | None
    near_plot: bool | None
    in_harvest_window: bool | None


def photo_checks(lot: Lot) -> list[PhotoCheck]:
    plots = list(lot.plots.all())
    out = []
    margin = datetime.timedelta(days=conf.PHOTO_HARVEST_MARGIN_DAYS)
    for photo in lot.photos.all():
        distance = None
        if photo.gps_lat is not None and photo.gps_lon is not None:
            distances = [
                d
                for d in (distance_to_plot_m(float(photo.gps_lat), float(photo.gps_lon), p.geometry) for p in plots)
                if d is not None
            ]
            distance = min(distances) if distances else None
        in_window = None
        if photo.taken_at is not None and lot.harvest_start and lot.harvest_end:
            day = photo.taken_at.date()
            in_window = lot.harvest_start - margin <= day <= lot.harvest_end + margin
        near = None if distance is None else distance <= conf.PHOTO_MAX_DISTANCE_M
        out.append(PhotoCheck(photo, distance, near, in_window))
    return out
