"""Celery tasks of the pricing app: thin, take ids, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from core.services import job_create, job_finish, job_progress


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def premium_recompute_lot(lot_id: int) -> str:
    """Recompute one lot's premium. Idempotent: a second run stores the same figures."""
    from marketplace.pricing.services import lot_premium_recompute

    premium = lot_premium_recompute(lot_id=lot_id)
    return "missing" if premium is None else premium.status


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def premiums_sweep_task(job_id: str | None = None) -> dict[str, Any]:
    """Recompute every public lot's premium, reporting progress on ``job_id``. Idempotent."""
    from marketplace.pricing.sweep import premiums_sweep

    def progress(done: int, total: int) -> None:
        if job_id:
            job_progress(job_id=job_id, done=done, total=total)

    try:
        result = premiums_sweep(progress=progress)
    except Exception as exc:
        if job_id:
            job_finish(job_id=job_id, ok=False, message=str(exc)[:500])
        raise
    if job_id:
        job_finish(job_id=job_id, ok=True, result=result)
    return result


@shared_task(acks_late=True)
def premiums_sweep_nightly() -> dict[str, Any]:
    from marketplace.pricing.services import SWEEP_JOB_KIND

    job = job_create(kind=SWEEP_JOB_KIND, params={"reason": "nightly"})
    return premiums_sweep_task(str(job.pk))
