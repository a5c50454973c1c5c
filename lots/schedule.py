"""Periodic tasks of the lots app (read by marketplace.celery)."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "lots-reprice-daily": {"task": "lots.tasks.lots_reprice", "schedule": crontab(minute=20, hour=3)},
    "lots-photo-derivatives-sweep": {"task": "lots.tasks.photos_derivatives_sweep", "schedule": 600.0},
}
