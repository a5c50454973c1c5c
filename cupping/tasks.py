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


@shared_task
def cupping_imports_resume(older_than_minutes: int = 5) -> int:
    """Re-enqueue imports still waiting after a while (their enqueue was lost while the broker was
    down); an import runs once whatever happens, so a duplicate is harmless."""
    import datetime

    from django.utils import timezone

    from core.models import Job

    cutoff = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    ids = list(
        Job.objects.filter(kind="cupping_import", status=Job.Status.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        run_cupping_import.delay(str(pk))
    return len(ids)
