"""Periodic tasks of the pricing app (read by marketplace.celery)."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # After lots-reprice-daily (03:20), so the sweep sees the day's converted prices.
    "pricing-premium-sweep-nightly": {
        "task": "marketplace.pricing.tasks.premiums_sweep_nightly",
        "schedule": crontab(minute=40, hour=3),
    },
}
