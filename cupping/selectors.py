"""Reads for cupping pages and the API, each scoped to who is asking.

Other apps read a lot's official score through ``lot_official_scores`` (every protocol the lot has)
and ``lot_official_score`` (the primary one); each ``OfficialScore`` carries its protocol, so a
number never travels without its scale. ``Lot.official_score`` / ``Lot.official_score_protocol``
cache the primary one for catalogue queries and always agree with ``lot_official_score``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from cupping import scoring
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading, LotScore, SheetStatus
from lots.models import PUBLIC_STATUSES, Lot


def sheets_visible_to(user: Any) -> QuerySet[CuppingSheet]:
    """Moderators see all; graders their own; producers those on their lots; others the active
    sheets of public lots (the evidence a buyer reads)."""
    qs = CuppingSheet.objects.select_related("lot", "grader", "entered_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_moderator:
        return qs
    public = Q(status=SheetStatus.ACTIVE, lot__status__in=PUBLIC_STATUSES)
    return qs.filter(public | Q(grader=user) | Q(entered_by=user) | Q(lot__producer=user))


def gradings_visible_to(user: Any) -> QuerySet[GreenGrading]:
    qs = GreenGrading.objects.select_related("lot", "grader")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_moderator:
        return qs
    public = Q(status=SheetStatus.ACTIVE, lot__status__in=PUBLIC_STATUSES)
    return qs.filter(public | Q(grader=user) | Q(lot__producer=user))


def requests_visible_to(user: Any) -> QuerySet[CuppingRequest]:
    """Producers: their requests. Graders: requests naming them, and open ones if verified."""
    qs = CuppingRequest.objects.select_related("lot", "grader", "requested_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_moderator:
        return qs
    if user.role == Role.PRODUCER:
        return qs.filter(requested_by=user)
    if user.role == Role.Q_GRADER:
        cond = Q(grader=user)
        if can_take_open_requests(user):
            cond |= Q(grader__isnull=True, status=CuppingRequest.Status.OPEN)
        return qs.filter(cond)
    return qs.none()


def can_take_open_requests(user: Any) -> bool:
    from cupping.services import may_take_open_requests

    return may_take_open_requests(user)


def grader_queue(user: Any) -> QuerySet[CuppingRequest]:
    return (
        requests_visible_to(user)
        .filter(status__in=[CuppingRequest.Status.OPEN, CuppingRequest.Status.ACCEPTED])
        .order_by("created_at")
    )


def verified_graders() -> QuerySet[User]:
    return (
        User.objects.filter(role=Role.Q_GRADER, is_active=True, q_grader_profile__licence_verified_at__isnull=False)
        .select_related("q_grader_profile")
        .order_by("display_name", "email")
    )


def lots_open_to_grader(user: Any) -> QuerySet[Lot]:
    """Lots the grader may cup: public ones, and those with a request open to or accepted by them."""
    from cupping.services import requests_open_to

    requested = CuppingRequest.objects.filter(requests_open_to(user)).values("lot_id")
    return Lot.objects.filter(Q(status__in=PUBLIC_STATUSES) | Q(pk__in=requested)).order_by("name")


def can_see_original(user: Any, sheet: CuppingSheet) -> bool:
    """The signed original: only its grader, the lot's producer and moderators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_moderator or sheet.grader_id == user.pk or sheet.lot.producer_id == user.pk)


@dataclass(frozen=True)
class OfficialScore:
    """A lot's official score on one protocol's scale (never comparable across protocols)."""

    protocol: str
    value: Decimal
    graders: int  # independent graders counted (each once, with their latest sheet)
    harvest_year: int
    spread: Decimal
    primary: bool  # the one cached on Lot.official_score

    @property
    def label(self) -> str:
        """ "SCA 87.25", "CVA 84.50", "CoE 88.00"."""
        return scoring.score_label(self.protocol, self.value)

    @property
    def sheets(self) -> int:
        return self.graders


def _score_rows(lot: Lot) -> list[LotScore]:
    # lot.official_scores.all() uses a prefetch when the caller made one (the lot list API does).
    rows = [r for r in lot.official_scores.all() if r.harvest_year == lot.harvest_year]
    order = {p: i for i, p in enumerate(scoring.PRIMARY_ORDER)}
    return sorted(rows, key=lambda r: order.get(r.protocol, len(order)))


def lot_official_scores(*, lot: Lot) -> dict[str, OfficialScore]:
    """Protocol → official score of the lot's CURRENT harvest, primary protocol first.

    Only independent, verified-licence graders' sheets count (``cupping.services.counting_sheets``);
    a row left from an earlier harvest (before its rescore ran) is never returned."""
    rows = _score_rows(lot)
    primary = rows[0].protocol if rows else None
    return {
        r.protocol: OfficialScore(
            protocol=r.protocol,
            value=r.mean,
            graders=r.graders,
            harvest_year=r.harvest_year,
            spread=r.spread,
            primary=r.protocol == primary,
        )
        for r in rows
    }


def lot_official_score(*, lot: Lot) -> OfficialScore | None:
    """The lot's primary official score: SCA 2004 if it has one, else CVA, else CoE."""
    return next(iter(lot_official_scores(lot=lot).values()), None)


def lot_scores(lot_id: int) -> list[LotScore]:
    """The LotScore rows of the lot's current harvest, primary protocol first."""
    lot = Lot.objects.filter(pk=lot_id).first()
    return _score_rows(lot) if lot is not None else []


# --- Radar chart -----------------------------------------------------------------------------

RADAR_SIZE = 360
RADAR_RADIUS = 120


def _point(cx: float, cy: float, r: float, i: int, n: int) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def radar(protocol: str, means: dict[str, Any]) -> dict[str, Any]:
    """Geometry of a radar chart of attribute means, for a template drawing SVG with attributes."""
    names = scoring.attribute_names(protocol)
    low, high = scoring.attribute_scale(protocol)
    n = len(names)
    c = RADAR_SIZE / 2
    rings = []
    for frac in (0.25, 0.5, 0.75, 1.0):
        pts = [_point(c, c, RADAR_RADIUS * frac, i, n) for i in range(n)]
        rings.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in pts))
    axes, shape = [], []
    for i, name in enumerate(names):
        value = Decimal(str(means.get(name, low)))
        frac = float((min(max(value, low), high) - low) / (high - low))
        x, y = _point(c, c, RADAR_RADIUS * frac, i, n)
        shape.append(f"{x:.1f},{y:.1f}")
        ex, ey = _point(c, c, RADAR_RADIUS, i, n)
        lx, ly = _point(c, c, RADAR_RADIUS + 16, i, n)
        anchor = "middle" if abs(lx - c) < 8 else ("start" if lx > c else "end")
        axes.append(
            {
                "name": name,
                "label": scoring.FIELD_LABELS.get(name, name),
                "value": value,
                "x": f"{ex:.1f}",
                "y": f"{ey:.1f}",
                "lx": f"{lx:.1f}",
                # Two-line labels: lift the ones above the centre so the value line clears the web.
                "ly": f"{ly - 12 if ly < c - 8 else ly + 2:.1f}",
                "px": f"{x:.1f}",
                "py": f"{y:.1f}",
                "anchor": anchor,
            }
        )
    return {
        "size": RADAR_SIZE,
        "center": f"{c:.1f}",
        "rings": rings,
        "axes": axes,
        "shape": " ".join(shape),
        "scale_max": high,
        "protocol": protocol,
    }


def lot_section(user: Any, lot: Lot) -> dict[str, Any]:
    scores = _score_rows(lot)
    sheets = list(
        CuppingSheet.objects.filter(lot=lot, status=SheetStatus.ACTIVE)
        .select_related("grader")
        .order_by("-cupped_on", "-id")[:50]
    )
    gradings = list(
        GreenGrading.objects.filter(lot=lot, status=SheetStatus.ACTIVE)
        .select_related("grader")
        .order_by("-graded_on")[:10]
    )
    return {
        "lot": lot,
        "scores": [{"score": s, "radar": radar(s.protocol, s.attribute_means)} for s in scores],
        "sheets": sheets,
        "gradings": gradings,
        "is_producer": getattr(user, "is_authenticated", False) and lot.producer_id == user.pk,
        "is_grader": getattr(user, "is_authenticated", False) and user.role == Role.Q_GRADER,
    }


# --- Calibration -----------------------------------------------------------------------------


def calibration(protocol: str) -> list[dict[str, Any]]:
    """Each grader's mean deviation from the panel mean, over lots cupped by 2+ graders.

    Uses each grader's latest active sheet per lot and harvest (as the official score does), but
    counts every grader's sheet, independent or not: calibration is about the palate.
    """
    sheets = (
        CuppingSheet.objects.filter(status=SheetStatus.ACTIVE, protocol=protocol)
        .select_related("grader")
        .order_by("cupped_on", "id")
    )
    panels: dict[tuple[int, int], dict[int, CuppingSheet]] = defaultdict(dict)
    for sheet in sheets:
        panels[(sheet.lot_id, sheet.harvest_year)][sheet.grader_id] = sheet
    deviations: dict[int, list[Decimal]] = defaultdict(list)
    graders: dict[int, Any] = {}
    for panel in panels.values():
        if len(panel) < 2:
            continue
        mean = sum((s.final_score for s in panel.values()), Decimal(0)) / len(panel)
        for grader_id, sheet in panel.items():
            deviations[grader_id].append(sheet.final_score - mean)
            graders[grader_id] = sheet.grader
    rows = []
    for grader_id, devs in deviations.items():
        mean_dev = (sum(devs, Decimal(0)) / len(devs)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        mean_abs = (sum((abs(d) for d in devs), Decimal(0)) / len(devs)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        rows.append({"grader": graders[grader_id], "lots": len(devs), "mean_deviation": mean_dev, "mean_abs": mean_abs})
    rows.sort(key=lambda r: (-r["mean_abs"], r["grader"].email))
    return rows
