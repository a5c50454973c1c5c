"""The Celery application.

Reliability defaults live in settings (acks late, reject on worker lost, prefetch 1, time limits,
JSON only). Periodic work is declared by each app in an optional ``<app>/schedule.py`` holding a
``BEAT_SCHEDULE`` dict, and stored by django-celery-beat; run exactly one beat process.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

from celery import Celery

import core.broker  # noqa: F401  (registers the safefs:// transport used without Redis)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace", task_cls="core.task_class:RobustDjangoTask")  # robust on-commit enqueue
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SCHEDULE_MODULES = (
    "core.schedule",
    "accounts.schedule",
    "lots.schedule",
    "cupping.schedule",
    "marketplace.schedule",
    "marketplace.negotiation.schedule",
    "marketplace.auctions.schedule",
    "marketplace.pricing.schedule",
    "marketplace.payments.schedule",
    "marketplace.moderation.schedule",
)


def collect_beat_schedule() -> dict[str, Any]:
    """Merge every app's BEAT_SCHEDULE; schedule modules import no models."""
    schedule: dict[str, Any] = {}
    for name in SCHEDULE_MODULES:
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            continue
        schedule.update(getattr(importlib.import_module(name), "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_configure.connect
def _install_schedule(sender: Celery, **kwargs: Any) -> None:
    sender.conf.beat_schedule = {**collect_beat_schedule(), **(sender.conf.beat_schedule or {})}
