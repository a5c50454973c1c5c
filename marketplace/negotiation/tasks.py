"""Thin, idempotent tasks: each reloads by id (or sweeps) and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core.errors import Conflict
from marketplace.negotiation import services
from marketplace.negotiation.models import Order, OrderStatus


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def expire_negotiations() -> int:
    """Expire offers past their expiry. Running twice expires nothing twice (status guard)."""
    return services.negotiations_expire_due()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def complete_delivered_orders() -> int:
    """Complete delivered orders whose claim window has closed with no open claim."""
    done = 0
    now = timezone.now()
    delivered = Order.objects.filter(status=OrderStatus.DELIVERED).exclude(claims__status="open")
    for order in delivered.only("pk", "delivered_at", "claim_window_days"):
        deadline = services.claim_deadline(order)
        if deadline is None or deadline > now:
            continue
        try:
            services.order_complete(order=order, by=None)
            done += 1
        except Conflict:
            continue
    return done
