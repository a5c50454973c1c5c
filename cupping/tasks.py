from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from cupping.services import cupping_import_run


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_cupping_import(job_id: str) -> str:
    """Run one CSV import job. Idempotent: a finished job returns "already-done"."""
    return cupping_import_run(job_id=job_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_lot_score(lot_id: int) -> str:
    """Rebuild a lot's official score. Idempotent: the same sheets give the same score."""
    from cupping.services import lot_score_recompute

    lot = lot_score_recompute(lot_id=lot_id)
    return "missing" if lot is None else "ok"
