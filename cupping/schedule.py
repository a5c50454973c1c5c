"""Periodic tasks of the cupping app (read by marketplace.celery)."""

from __future__ import annotations

BEAT_SCHEDULE = {
    "cupping-imports-resume": {"task": "cupping.tasks.cupping_imports_resume", "schedule": 300.0},
}
