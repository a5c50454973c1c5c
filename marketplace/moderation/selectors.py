"""Reads of the moderation app, scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import HttpRequest

from lots.models import Lot
from marketplace.moderation import evidence
from marketplace.moderation.models import (
    ACTIVE_STATUSES,
    ClaimDecision,
    ClaimReply,
    ClaimStatus,
    Decision,
    EvidenceChange,
    HallmarkKey,
    HallmarkOutcome,
    HallmarkResult,
    MicroLotClaim,
)

_KEY_ORDER = {k: i for i, k in enumerate(HallmarkKey.values)}


def _base() -> QuerySet[MicroLotClaim]:
    return MicroLotClaim.objects.select_related("lot", "lot__farm", "producer", "producer__producer_profile")


def claims_visible_to(user: Any) -> QuerySet[MicroLotClaim]:
    """Moderators see every claim; a producer sees only their own; anyone else sees none."""
    if not getattr(user, "is_authenticated", False):
        return MicroLotClaim.objects.none()
    if getattr(user, "is_moderator", False):
        return _base()
    if getattr(user, "is_producer", False):
        return _base().filter(producer=user)
    return MicroLotClaim.objects.none()


def with_details(qs: QuerySet[MicroLotClaim]) -> QuerySet[MicroLotClaim]:
    return qs.prefetch_related(
        Prefetch("hallmarks", queryset=HallmarkResult.objects.order_by("id")),
        Prefetch("decisions", queryset=ClaimDecision.objects.select_related("moderator").order_by("created_at", "id")),
        Prefetch("replies", queryset=ClaimReply.objects.select_related("author").order_by("created_at", "id")),
        Prefetch(
            "evidence_changes", queryset=EvidenceChange.objects.select_related("actor").order_by("created_at", "id")
        ),
    )


def ordered_hallmarks(claim: MicroLotClaim) -> list[HallmarkResult]:
    return sorted(claim.hallmarks.all(), key=lambda h: _KEY_ORDER.get(h.key, 99))


def failing_hallmarks(claim: MicroLotClaim) -> list[HallmarkResult]:
    """The hallmarks an approval must give a reason for (``services.claim_decide`` checks it again)."""
    return [h for h in ordered_hallmarks(claim) if h.result == HallmarkOutcome.FAIL]


def moderation_queue(*, sort: str = "risk") -> QuerySet[MicroLotClaim]:
    """Claims waiting for a moderator. ``risk``: fails, then warnings, then oldest; ``age``: oldest first."""
    qs = (
        _base()
        .filter(status=ClaimStatus.PENDING)
        .prefetch_related(Prefetch("hallmarks", queryset=HallmarkResult.objects.order_by("id")))
    )
    if sort == "age":
        return qs.order_by("waiting_since", "pk")
    return qs.order_by("-fail_count", "-warn_count", "waiting_since", "pk")


def waiting_for_producers() -> QuerySet[MicroLotClaim]:
    return _base().filter(status=ClaimStatus.EVIDENCE_REQUESTED).order_by("decided_at", "pk")


def latest_claim_for_lot(lot_id: int, qs: QuerySet[MicroLotClaim] | None = None) -> MicroLotClaim | None:
    """The active claim if there is one, else the most recent (rejected) one."""
    qs = (qs if qs is not None else _base()).filter(lot_id=lot_id)
    return (
        qs.annotate(
            active=Case(When(status__in=ACTIVE_STATUSES, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .order_by("-active", "-submitted_at", "-pk")
        .first()
    )


def claim_evidence(claim: MicroLotClaim) -> dict[str, Any]:
    """Everything the moderator weighs, gathered in a fixed number of queries."""
    lot = evidence.lot_for_evidence(claim.lot_id)
    events = list(lot.custody_events.all())
    chain = evidence.verify_chain(lot.pk, events)
    premium = evidence.lot_premium(lot)
    return {
        "lot": lot,
        "plots": list(lot.plots.all()),
        "group_members": list(lot.group_members.all()),
        "photos": evidence.photo_checks(lot),
        "custody": events,
        "corrected_ids": {e.corrects_id for e in events if e.corrects_id},
        "chain": chain,
        "sheets": evidence.active_sheets(lot) or [],
        "gradings": evidence.active_gradings(lot),
        "premium": premium,
    }


@dataclass(frozen=True)
class PublicHallmark:
    key: str
    name: str
    result: str
    reason: str
    approved_despite: str | None  # the moderator's reason, when the hallmark fails and was overridden


@dataclass(frozen=True)
class Verification:
    badge: str
    claim_id: int | None
    approved_at: Any
    hallmarks: list[PublicHallmark]


def verification_for_buyers(lot: Lot) -> Verification | None:
    """What anyone reads about a verified lot: every hallmark's result and reason, and for each
    failing one the moderator's reason for approving despite it. None for a lot without a badge."""
    if not lot.verified_badge:
        return None
    claim = (
        MicroLotClaim.objects.filter(lot_id=lot.pk, status=ClaimStatus.APPROVED)
        .prefetch_related(Prefetch("hallmarks", queryset=HallmarkResult.objects.order_by("id")))
        .order_by("-decided_at", "-pk")
        .first()
    )
    if claim is None:
        return Verification(lot.verified_badge, None, None, [])
    approval = (
        ClaimDecision.objects.filter(claim=claim, decision=Decision.APPROVE).order_by("-created_at", "-pk").first()
    )
    overrides = dict(approval.overrides or {}) if approval is not None else {}
    rows = [
        PublicHallmark(
            key=h.key,
            name=str(h.get_key_display()),
            result=h.result,
            reason=h.display_reason,
            approved_despite=overrides.get(h.key) if h.result == HallmarkOutcome.FAIL else None,
        )
        for h in ordered_hallmarks(claim)
    ]
    return Verification(lot.verified_badge, claim.pk, approval.created_at if approval else claim.decided_at, rows)


def lot_section_context(request: HttpRequest, lot: Lot) -> dict[str, Any] | None:
    """The lot page section: badge, infusion label, claim status and hallmark summary, submit link."""
    user = request.user
    is_owner = getattr(user, "is_authenticated", False) and user.pk == lot.producer_id
    can_see_claim = is_owner or getattr(user, "is_moderator", False)
    claim = None
    if can_see_claim:
        claim = latest_claim_for_lot(
            lot.pk, MicroLotClaim.objects.prefetch_related(Prefetch("hallmarks", queryset=HallmarkResult.objects.all()))
        )
    infused = lot.is_infused
    if not (lot.verified_badge or infused or can_see_claim):
        return None
    summary: dict[str, int] = {}
    if claim is not None:
        for h in claim.hallmarks.all():
            summary[h.result] = summary.get(h.result, 0) + 1
    return {
        "lot": lot,
        "badge": lot.verified_badge,
        "badge_label": lot.get_verified_badge_display() if lot.verified_badge else "",
        "infused": infused,
        "additives_label": lot.get_additives_display() if infused else "",
        "claim": claim,
        "summary": summary,
        "can_submit": is_owner
        and (claim is None or claim.status == ClaimStatus.REJECTED)
        and lot.status != "withdrawn",
        "can_see_claim": can_see_claim,
        "verification": verification_for_buyers(lot),
    }


def dashboard_panel(request: HttpRequest) -> dict[str, Any]:
    """Moderators: how many claims wait and how many of them fail a hallmark. Producers: their claims."""
    user: Any = request.user
    if getattr(user, "is_moderator", False):
        waiting = MicroLotClaim.objects.filter(status=ClaimStatus.PENDING)
        return {"role": "moderator", "waiting": waiting.count(), "risky": waiting.filter(fail_count__gt=0).count()}
    claims = list(claims_visible_to(user).order_by("-submitted_at", "-pk")[:5])
    return {"role": "producer", "claims": claims}
