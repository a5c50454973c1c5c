"""Reads of competition results, always scoped to who is asking.

Verified results of a public lot are public evidence (a buyer inspects them). Pending and rejected
ones, and every uploaded document of an unverified result, are for the lot's producer and
moderators only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from lots.models import PUBLIC_STATUSES, Lot
from lots.selectors import can_see_private, visible_lots
from marketplace.competitions.models import CompetitionResult, ResultStatus


def _is_moderator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_moderator", False))


def results_for(user: Any) -> QuerySet[CompetitionResult]:
    """Every result ``user`` may read: verified ones of public lots, all of their own lots'."""
    qs = CompetitionResult.objects.select_related("lot", "decided_by")
    if _is_moderator(user):
        return qs
    public = Q(status=ResultStatus.VERIFIED, lot__status__in=PUBLIC_STATUSES)
    if getattr(user, "is_authenticated", False):
        return qs.filter(public | Q(lot__producer=user))
    return qs.filter(public)


def lot_for(user: Any, lot_id: int) -> Lot | None:
    """The lot, if ``user`` may open it (the lots app's rule)."""
    return visible_lots(user).select_related("producer").filter(pk=lot_id).first()


def lot_results(user: Any, lot: Lot) -> list[CompetitionResult]:
    """The lot's results ``user`` may see, best evidence first (verified, newest year, best rank)."""
    qs = CompetitionResult.objects.filter(lot=lot).select_related("decided_by")
    if not can_see_private(user, lot):
        qs = qs.filter(status=ResultStatus.VERIFIED)
    order: dict[str, int] = {ResultStatus.VERIFIED: 0, ResultStatus.PENDING: 1, ResultStatus.REJECTED: 2}
    return sorted(qs, key=lambda r: (order.get(r.status, 3), -r.year, r.rank, r.pk))


def can_read_document(user: Any, result: CompetitionResult) -> bool:
    if can_see_private(user, result.lot):
        return True
    return result.is_verified and result.lot.is_public


def pending_results() -> QuerySet[CompetitionResult]:
    """The moderators' queue, oldest first."""
    return (
        CompetitionResult.objects.filter(status=ResultStatus.PENDING)
        .select_related("lot", "lot__producer", "created_by")
        .order_by("created_at", "id")
    )


def recently_decided(limit: int = 50) -> QuerySet[CompetitionResult]:
    return (
        CompetitionResult.objects.exclude(status=ResultStatus.PENDING)
        .select_related("lot", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def verified_result(lot_id: int) -> CompetitionResult | None:
    """The verified result pricing names as a lot's competition provenance (newest, then best rank)."""
    return (
        CompetitionResult.objects.filter(lot_id=lot_id, status=ResultStatus.VERIFIED)
        .order_by("-year", "rank", "id")
        .first()
    )
