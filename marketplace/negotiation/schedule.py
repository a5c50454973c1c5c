"""Periodic tasks of the trading app (merged into the beat schedule by marketplace/celery.py)."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "negotiation-expire-offers": {"task": "marketplace.negotiation.tasks.expire_negotiations", "schedule": 60.0},
    "negotiation-complete-orders": {
        "task": "marketplace.negotiation.tasks.complete_delivered_orders",
        "schedule": 3600.0,
    },
}
