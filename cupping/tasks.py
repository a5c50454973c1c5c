from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_cupping_import(job_id: str) -> str:
    """Run one CSV import job: check and preview it, or write it once confirmed. Idempotent: a
    finished job returns "already-done"; a job waiting for confirmation "awaiting-confirmation"."""
    from cupping.imports import cupping_import_run

    return cupping_import_run(job_id=job_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_lot_score(lot_id: int) -> str:
    """Rebuild a lot's official score. Idempotent: the same sheets give the same score."""
    from cupping.services import lot_score_recompute

    lot = lot_score_recompute(lot_id=lot_id)
    return "missing" if lot is None else "ok"


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reassess_grader_sheets(grader_id: int) -> int:
    """After a licence or account change: re-check the grader's sheets and rebuild their lots'
    scores. Idempotent: the same licence gives the same flags and scores."""
    from cupping.services import sheets_reassess_for_grader

    return len(sheets_reassess_for_grader(grader_id=grader_id))


@shared_task
def cupping_imports_resume(older_than_minutes: int = 5) -> int:
    """Re-enqueue imports still waiting after a while (their enqueue was lost while the broker was
    down) or running without progress (their worker died), and expire unconfirmed previews; an
    import runs once whatever happens, so a duplicate is harmless. Returns how many were re-enqueued."""
    from cupping.imports import imports_sweep

    return imports_sweep(older_than_minutes=older_than_minutes)["requeued"]
