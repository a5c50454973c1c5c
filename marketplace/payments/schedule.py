"""Periodic work of the payments app (merged into the beat schedule by marketplace/celery.py)."""

BEAT_SCHEDULE = {
    "payments-reconcile-sweep": {
        "task": "marketplace.payments.tasks.payments_reconcile_sweep",
        "schedule": 300.0,
    },
}
