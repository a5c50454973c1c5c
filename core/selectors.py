"""Reads of the shared tables."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from core.models import ExchangeRate, Job, Notification


def usd_per_unit(currency: str, on: datetime.date | None = None) -> Decimal | None:
    """The latest known USD value of one unit of ``currency`` on or before ``on``; None if unknown."""
    if currency.upper() == "USD":
        return Decimal(1)
    qs = ExchangeRate.objects.filter(currency=currency.upper())
    if on is not None:
        qs = qs.filter(valid_on__lte=on)
    rate = qs.order_by("-valid_on").values_list("usd_per_unit", flat=True).first()
    return rate


def latest_usd_rates() -> dict[str, Decimal]:
    """Every currency's latest rate in one query (for list pages and sweeps)."""
    rates: dict[str, Decimal] = {"USD": Decimal(1)}
    for currency, rate in ExchangeRate.objects.order_by("currency", "-valid_on").values_list(
        "currency", "usd_per_unit"
    ):
        rates.setdefault(currency, rate)
    return rates


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def job_visible_to(user: Any, job_id: Any) -> Job | None:
    """A job its owner (or a moderator) may watch; None for anyone else."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not getattr(user, "is_authenticated", False):
        return None
    if job.owner_id == user.pk or getattr(user, "is_moderator", False):
        return job
    return None
