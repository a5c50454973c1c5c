"""Periodic tasks of core (read by marketplace.celery)."""

from __future__ import annotations

BEAT_SCHEDULE = {
    "core-resend-unsent-emails": {"task": "core.tasks.notifications_resend_unsent", "schedule": 300.0},
}
