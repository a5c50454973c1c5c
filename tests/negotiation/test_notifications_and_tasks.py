"""Notifications go out after commit only (and never for a rolled-back move); tasks on a real worker."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from core import tasks as core_tasks
from core.errors import Conflict
from core.models import Notification
from lots.models import Lot
from marketplace.negotiation import services, tasks
from marketplace.negotiation.models import Negotiation, NegotiationEvent, Order
from tests.factories import LotFactory, ProducerFactory, RoasterFactory
from tests.negotiation.conftest import terms


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db
def test_email_is_enqueued_only_after_commit(
    lot: Lot, roaster: Any, producer: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(core_tasks.send_notification_email, "apply_async", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        n = services.negotiation_open(lot=lot, by=roaster, **terms())
        assert sent == []  # nothing left the process inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(sent) == 1
    note = Notification.objects.get(kind="negotiation.opened")
    assert note.recipient == producer and note.url.endswith(f"/trade/negotiations/{n.pk}/")


@pytest.mark.django_db
def test_every_move_notifies_the_other_party(lot: Lot, roaster: Any, producer: Any) -> None:
    n = services.negotiation_open(lot=lot, by=roaster, **terms())
    services.negotiation_counter(negotiation=n, by=producer, **terms(price=Decimal("31")))
    services.negotiation_counter(negotiation=n, by=roaster, **terms(price=Decimal("30")))
    order = services.negotiation_accept(negotiation=n, by=producer)
    services.order_mark_paid(order=order, by=None)
    services.order_ship(order=order, by=producer, courier="Maersk", tracking="BL-9")
    services.order_confirm_delivery(order=order, by=roaster)
    to_roaster = set(Notification.objects.filter(recipient=roaster).values_list("kind", flat=True))
    to_producer = set(Notification.objects.filter(recipient=producer).values_list("kind", flat=True))
    assert {
        "negotiation.countered",
        "negotiation.accepted",
        "order.created",
        "order.paid",
        "order.shipped",
    } <= to_roaster
    assert {
        "negotiation.opened",
        "negotiation.countered",
        "order.created",
        "order.paid",
        "order.delivered",
    } <= to_producer
    # Nobody is told of their own move.
    assert not Notification.objects.filter(recipient=roaster, kind="order.delivered").exists()
    assert not Notification.objects.filter(recipient=producer, kind="order.shipped").exists()


@pytest.mark.django_db
def test_a_refused_accept_notifies_nobody_and_sends_nothing(
    lot: Lot, roaster: Any, producer: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    n = services.negotiation_open(lot=lot, by=roaster, **terms())
    Lot.objects.filter(pk=lot.pk).update(reserved_kg=Decimal("250"), status="reserved")
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(Conflict):
            services.negotiation_accept(negotiation=n, by=producer)
    assert callbacks == []
    assert Notification.objects.count() == before
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_expiry_task_called_directly_is_idempotent(lot: Lot, roaster: Any) -> None:
    n = services.negotiation_open(lot=lot, by=roaster, **terms())
    Negotiation.objects.filter(pk=n.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=5))
    assert tasks.expire_negotiations() == 1
    assert tasks.expire_negotiations() == 0


@pytest.mark.django_db
def test_complete_task_closes_delivered_orders_after_the_claim_window(lot: Lot, roaster: Any, producer: Any) -> None:
    n = services.negotiation_open(lot=lot, by=roaster, **terms())
    order = services.negotiation_accept(negotiation=n, by=producer)
    Order.objects.filter(pk=order.pk).update(
        status="delivered", delivered_at=timezone.now() - datetime.timedelta(days=3)
    )
    assert tasks.complete_delivered_orders() == 0  # window still open
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=30))
    assert tasks.complete_delivered_orders() == 1
    assert tasks.complete_delivered_orders() == 0
    order.refresh_from_db()
    assert order.status == "completed"


def test_schedule_runs_the_expiry_sweep() -> None:
    from marketplace.negotiation.schedule import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["negotiation-expire-offers"]["task"] == "marketplace.negotiation.tasks.expire_negotiations"
    assert BEAT_SCHEDULE["negotiation-expire-offers"]["schedule"] <= 60


@pytest.mark.redis
def test_real_worker_expires_offers_and_emails_both_parties(celery_worker_on_redis: Any) -> None:
    producer, roaster = ProducerFactory(), RoasterFactory()
    lot = LotFactory(producer=producer)
    n = services.negotiation_open(lot=lot, by=roaster, **terms())
    # The opening notification's e-mail was enqueued on commit and the worker sends it.
    assert wait_for(lambda: Notification.objects.filter(kind="negotiation.opened", emailed_at__isnull=False).exists())
    Negotiation.objects.filter(pk=n.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    tasks.expire_negotiations.delay()
    tasks.expire_negotiations.delay()  # a second run (a redelivery) must change nothing
    assert wait_for(lambda: Negotiation.objects.get(pk=n.pk).status == "expired")
    assert wait_for(
        lambda: Notification.objects.filter(kind="negotiation.expired", emailed_at__isnull=False).count() == 2
    )
    assert {m.to[0] for m in mail.outbox} >= {producer.email, roaster.email}
    assert NegotiationEvent.objects.filter(negotiation=n, action="expired").count() == 1
