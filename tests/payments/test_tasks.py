"""Reconciliation on a real Celery worker (Redis): a payment whose webhook was lost is found
paid at Stripe, recorded once, and a second run is a no-op."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from core.models import AuditEvent, Job
from core.tasks import record_ping
from marketplace.payments import providers, services, tasks
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, PayoutEntry, SubjectKind
from tests.payments.conftest import make_order


def _lost_webhook_payment(lot: Any, roaster: Any, source_id: int) -> Payment:
    """Charged at Stripe (localstripe), but neither the webhook nor the return page arrived."""
    order = make_order(lot, roaster, source_id=source_id)
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    result = providers.get_provider("stripe").create_intent(
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=f"lost-{source_id}",
        metadata={"payment": str(payment.public_id), "attempt": "1"},
        payment_method="pm_card_visa",
        description="",
    )
    PaymentAttempt.objects.create(
        payment=payment, number=1, idempotency_key=f"lost-{source_id}", intent_id=result.intent_id
    )
    Payment.objects.filter(pk=payment.pk).update(
        attempts=1, status=PaymentStatus.PENDING, updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    return payment


@pytest.mark.redis
def test_reconcile_on_a_real_worker_records_a_lost_payment_once(
    transactional_db: Any, require_redis: None, stripe_on: str, lot: Any, roaster: Any, request: Any
) -> None:
    payment = _lost_webhook_payment(lot, roaster, 500)
    # The worker starts only now, so it runs the reconciles alone: on SQLite its thread shares
    # the in-memory database, and a task it ran while this test still wrote (the order's
    # notifications) locked the tables ("database table is locked").
    request.getfixturevalue("celery_worker_on_redis")
    tasks.payment_reconcile.delay(payment.pk)
    tasks.payment_reconcile.delay(payment.pk)  # delivered twice, as acks_late allows
    marker = Job.objects.create(kind="marker")
    record_ping.delay(str(marker.pk))  # the worker runs in order: once this ran, both did
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Job.objects.get(pk=marker.pk).status != Job.Status.SUCCEEDED:
        time.sleep(0.2)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PAID, Decimal("3000.00"))
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
    assert AuditEvent.objects.filter(action="payment.paid", target_id=str(payment.pk)).count() == 1
    assert tasks.payment_reconcile(payment.pk) == "already-done"


@pytest.mark.django_db
def test_the_sweep_queues_only_old_pending_card_payments(
    stripe_on: str, lot: Any, roaster: Any, monkeypatch: Any
) -> None:
    old = _lost_webhook_payment(lot, roaster, 501)
    fresh = _lost_webhook_payment(lot, roaster, 502)
    Payment.objects.filter(pk=fresh.pk).update(updated_at=timezone.now())
    queued: list[int] = []
    monkeypatch.setattr(tasks.payment_reconcile, "delay", lambda pk: queued.append(pk))
    assert tasks.payments_reconcile_sweep() == 1
    assert queued == [old.pk]
