"""Reads of the trading app, always scoped to the user asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from marketplace.negotiation.models import ClaimStatus, Order, QualityClaim


def orders_visible_to(user: Any) -> QuerySet[Order]:
    """The two parties see their orders; moderators see all; everyone else nothing."""
    qs = Order.objects.select_related("lot", "lot__farm", "buyer", "seller")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_moderator:
        return qs
    return qs.filter(Q(buyer=user) | Q(seller=user))


def order_for(*, user: Any, pk: int) -> Order:
    return get_object_or_404(orders_visible_to(user), pk=pk)


def open_claims() -> QuerySet[QualityClaim]:
    return QualityClaim.objects.filter(status=ClaimStatus.OPEN).select_related(
        "order", "order__lot", "order__buyer", "order__seller", "opened_by"
    )
