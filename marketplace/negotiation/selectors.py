"""Reads of the trading app, always scoped to the user asking (parties and moderators only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace.negotiation.models import (
    ACTIVE_NEGOTIATION,
    ClaimStatus,
    Negotiation,
    NegotiationEvent,
    Order,
    OrderEvent,
    QualityClaim,
    SampleRequest,
    SampleStatus,
    SampleTerms,
)


def _party_filter(user: Any, buyer: str, seller: str) -> Q | None:
    """None means "everything" (moderators); an empty Q never happens for anonymous users."""
    if user.is_moderator:
        return None
    return Q(**{buyer: user}) | Q(**{seller: user})


def orders_visible_to(user: Any) -> QuerySet[Order]:
    """The two parties see their orders; moderators see all; everyone else nothing."""
    qs = Order.objects.select_related("lot", "lot__farm", "buyer", "seller")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    f = _party_filter(user, "buyer", "seller")
    return qs if f is None else qs.filter(f)


def order_for(*, user: Any, pk: int) -> Order:
    qs = orders_visible_to(user).prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        "documents",
        Prefetch("claims", queryset=QualityClaim.objects.select_related("opened_by", "resolved_by")),
    )
    return get_object_or_404(qs, pk=pk)


def negotiations_visible_to(user: Any) -> QuerySet[Negotiation]:
    qs = Negotiation.objects.select_related("lot", "buyer", "seller", "current_offer")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    f = _party_filter(user, "buyer", "seller")
    return qs if f is None else qs.filter(f)


def negotiation_for(*, user: Any, pk: int) -> Negotiation:
    qs = negotiations_visible_to(user).prefetch_related(
        Prefetch("events", queryset=NegotiationEvent.objects.select_related("actor", "offer"))
    )
    return get_object_or_404(qs, pk=pk)


def negotiation_order(negotiation: Negotiation) -> Order | None:
    return Order.objects.filter(source="negotiation", source_id=negotiation.pk).first()


def samples_visible_to(user: Any) -> QuerySet[SampleRequest]:
    qs = SampleRequest.objects.select_related("lot", "roaster", "producer")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    f = _party_filter(user, "roaster", "producer")
    return qs if f is None else qs.filter(f)


def sample_for(*, user: Any, pk: int) -> SampleRequest:
    return get_object_or_404(samples_visible_to(user), pk=pk)


def roaster_sample_record(roaster: Any) -> dict[str, int]:
    """A roaster's feedback record, shown to producers: how reliably they answer samples."""
    now = timezone.now()
    qs = SampleRequest.objects.filter(roaster=roaster, feedback_due_at__isnull=False)
    return qs.aggregate(
        received=Count("pk"),
        given=Count("pk", filter=Q(status=SampleStatus.FEEDBACK)),
        on_time=Count("pk", filter=Q(status=SampleStatus.FEEDBACK, feedback_at__lte=F("feedback_due_at"))),
        late=Count("pk", filter=Q(status=SampleStatus.FEEDBACK, feedback_at__gt=F("feedback_due_at"))),
        overdue=Count("pk", filter=Q(status=SampleStatus.ARRIVED, feedback_due_at__lt=now)),
    )


def sample_terms_of(producer: Any) -> SampleTerms | None:
    return SampleTerms.objects.filter(producer=producer).first()


def open_claims() -> QuerySet[QualityClaim]:
    return QualityClaim.objects.filter(status=ClaimStatus.OPEN).select_related(
        "order", "order__lot", "order__buyer", "order__seller", "opened_by"
    )


def recent_claims(limit: int = 20) -> QuerySet[QualityClaim]:
    return (
        QualityClaim.objects.filter(status=ClaimStatus.RESOLVED)
        .select_related("order", "order__lot", "resolved_by")
        .order_by("-resolved_at")[:limit]
    )


def lot_trade_context(*, user: Any, lot: Any) -> dict[str, Any]:
    """What the lot page's trade section needs for this user."""
    ctx: dict[str, Any] = {"lot": lot, "can_trade": False}
    if getattr(user, "is_authenticated", False) and user.is_roaster:
        ctx["can_trade"] = lot.status in ("listed", "reserved") and lot.available_kg > 0
        ctx["live_negotiation"] = Negotiation.objects.filter(lot=lot, buyer=user, status__in=ACTIVE_NEGOTIATION).first()
        ctx["my_samples"] = list(SampleRequest.objects.filter(lot=lot, roaster=user)[:5])
    if getattr(user, "is_authenticated", False) and user.pk == lot.producer_id:
        ctx["open_negotiations"] = Negotiation.objects.filter(lot=lot, status__in=ACTIVE_NEGOTIATION).count()
        ctx["pending_samples"] = SampleRequest.objects.filter(lot=lot, status=SampleStatus.REQUESTED).count()
        ctx["is_seller"] = True
    return ctx


def lot_evidence_summary(lot: Any) -> dict[str, Any]:
    """What the contract shows about the lot's evidence: provenance, score, custody, photos."""
    from lots.models import CustodyEvent, LotPhoto

    plots = list(lot.plots.select_related("farm").all())
    return {
        "farm": lot.farm,
        "plots": plots,
        "geolocated_plots": sum(1 for p in plots if p.geometry),
        "variety": lot.variety.name if lot.variety_id else lot.variety_as_declared,
        "process": lot.get_process_display(),
        "additives": lot.get_additives_display(),
        "harvest_year": lot.harvest_year,
        "classification": lot.get_classification_display(),
        "official_score": lot.official_score,
        "official_score_protocol": lot.official_score_protocol,
        "verified_badge": lot.get_verified_badge_display() if lot.verified_badge else "",
        "custody_events": CustodyEvent.objects.filter(lot=lot).count(),
        "custody_separated": CustodyEvent.objects.filter(lot=lot, separated=True).count(),
        "photos": LotPhoto.objects.filter(lot=lot).count(),
    }


def trade_panel(user: Any) -> dict[str, Any]:
    side = "seller" if user.is_producer else "buyer"
    negotiations = negotiations_visible_to(user).filter(status__in=ACTIVE_NEGOTIATION)
    return {
        "my_turn": negotiations.filter(turn=side).count(),
        "open_negotiations": negotiations.count(),
        "open_orders": orders_visible_to(user).exclude(status__in=["completed", "cancelled"]).count(),
        "samples_waiting": samples_visible_to(user)
        .filter(status__in=["requested", "accepted"] if user.is_producer else ["shipped", "arrived"])
        .count(),
    }
