"""``celery -A tests.faults.support.worker_app worker``: the project's Celery app, with the fault
tests' one-time slowdown installed in each pool process (see slowdown.py)."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init

from marketplace.celery import app
from tests.faults.support import slowdown

__all__ = ["app"]


@worker_process_init.connect
def _install_slowdown(**kwargs: Any) -> None:
    slowdown.install()
