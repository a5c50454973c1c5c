"""A real Celery worker on Redis runs work enqueued on commit, and never work from a rollback."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from core.models import Job
from core.tasks import record_ping

pytestmark = pytest.mark.redis


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_task_enqueued_on_commit_runs_on_a_real_worker(celery_worker_on_redis):
    with transaction.atomic():
        job = Job.objects.create(kind="ping")
        record_ping.delay_on_commit(str(job.pk))
    assert wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED)


def test_task_enqueued_in_a_rolled_back_transaction_never_runs(celery_worker_on_redis):
    committed = Job.objects.create(kind="ping")
    try:
        with transaction.atomic():
            record_ping.delay_on_commit(str(committed.pk))
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    # A marker task sent afterwards proves the worker drained the queue in order.
    marker = Job.objects.create(kind="marker")
    record_ping.delay(str(marker.pk))
    assert wait_for(lambda: Job.objects.get(pk=marker.pk).status == Job.Status.SUCCEEDED)
    assert Job.objects.get(pk=committed.pk).status == Job.Status.PENDING


def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks, db, monkeypatch):
    sent: list[tuple] = []
    monkeypatch.setattr(record_ping, "apply_async", lambda *a, **k: sent.append((a, k)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            record_ping.delay_on_commit("x")
            assert sent == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(sent) == 1
