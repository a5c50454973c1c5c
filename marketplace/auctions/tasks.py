"""Celery tasks: thin, take ids, safe to run twice (each service is idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from marketplace.auctions import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def competition_tag_lot(lot_id: int) -> str:
    return services.lot_competition_tag_refresh(lot_id=lot_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def competition_sweep() -> dict[str, int]:
    return services.competition_sweep()


# No retries: the next beat run (seconds later) is the retry, and a late duplicate is harmless.
@shared_task
def auctions_close_sweep() -> int:
    return services.auctions_close_due()
