from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from cupping.services import cupping_import_run


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_cupping_import(job_id: str) -> str:
    """Run one CSV import job. Idempotent: a finished job returns "already-done"."""
    return cupping_import_run(job_id=job_id)
