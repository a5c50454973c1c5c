"""The project's Celery task class (``task_cls`` in marketplace/celery.py).

``delay_on_commit`` enqueues after the caller's transaction has committed. If the broker is
unreachable then (Redis down or restarting), Celery's own version raises from the commit hook:
the change is already saved, yet the request answers 500 and the user is invited to submit it
again (a second sample request, a second offer). Here the hook is robust: the failure is logged
(``django.db.backends.base``, naming the task) and the request answers as the saved change
deserves; periodic sweeps redo the follow-up work where the app has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction


class RobustDjangoTask(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        def enqueue() -> None:
            self.delay(*args, **kwargs)

        self._robust_on_commit(enqueue, "delay")

    def apply_async_on_commit(self, *args: Any, **kwargs: Any) -> None:
        def enqueue() -> None:
            self.apply_async(*args, **kwargs)

        self._robust_on_commit(enqueue, "apply_async")

    def _robust_on_commit(self, enqueue: Callable[[], None], how: str) -> None:
        enqueue.__qualname__ = f"{self.name}.{how}"  # Django's robust hook logs this name
        transaction.on_commit(enqueue, robust=True)
