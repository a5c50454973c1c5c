"""A Celery worker SIGKILLed in the middle of a task: another worker runs the task again and its
effect lands exactly once.

Each test starts worker A (a real ``celery worker`` subprocess, prefork, one child, acks_late +
reject_on_worker_lost as in the project settings), lets it take the task, waits until the task is
inside its slow spot (a one-time stall installed only in the worker subprocess, see
support/slowdown.py), then SIGKILLs A's whole process group. The message is left unacknowledged
in Redis; worker B, started with a 2-second visibility timeout, restores it and runs it again.
The assertions are on the database (and the e-mail files): exactly one effect.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, Job, Notification
from core.services import notify
from cupping.imports import cupping_import_confirm, cupping_import_start
from cupping.models import CuppingSheet
from lots.models import Lot
from marketplace.payments import providers
from marketplace.payments import services as payment_services
from marketplace.payments import tasks as payment_tasks
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus, PayoutEntry, SubjectKind
from marketplace.pricing.models import LotPremium
from marketplace.pricing.services import lot_premium_recompute, sweep_start
from tests import factories
from tests.cupping.test_import import make_csv, sca_row
from tests.faults.conftest import Workers, queue_drained, wait_for
from tests.payments.conftest import make_order
from tests.pricing.conftest import baseline, seed_reference_data

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

SLOW = "tests.faults.support.slow_backend.SlowFileBackend"


def kill_in_the_middle_then_recover(
    workers: Workers,
    broker: Any,
    enqueue: Callable[[], None],
    finished: Callable[[], bool],
    *,
    while_stalled: Callable[[], None] | None = None,
    **env: str,
) -> None:
    worker_a = workers.start("a", **env)
    enqueue()
    assert wait_for(lambda: workers.marker_pid() is not None, 60), worker_a.output()
    if while_stalled is not None:
        while_stalled()
    worker_a.kill()
    # The message was delivered to A and never acknowledged: it waits in Redis's unacked hash.
    assert broker.hlen("unacked") == 1
    assert not finished()
    worker_b = workers.start("b", visibility_timeout=2, **env)
    assert wait_for(finished, 60), worker_b.output()
    assert wait_for(lambda: queue_drained(broker), 30), worker_b.output()
    # The stalled call ran in A's pool child; the call that finished the job ran in another process.
    stalled = workers.marker_pid()
    assert any(pid != stalled for pid, _what in workers.calls()), workers.calls()
    assert worker_a.proc.poll() is not None  # A stayed dead: B did the work


def test_a_notification_email_is_sent_once(workers: Workers, redis_broker: Any, tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    recipient = factories.RoasterFactory(email="mail-once@example.test")
    redis_broker.flushdb()
    note_ids: list[int] = []

    def enqueue() -> None:
        with transaction.atomic():
            note = notify(recipient=recipient, kind="test", message="Your sample shipped", dedupe_key="fault-mail")
            assert note is not None
            note_ids.append(note.pk)

    def sent() -> bool:
        return Notification.objects.filter(pk__in=note_ids, emailed_at__isnull=False).exists()

    kill_in_the_middle_then_recover(
        workers, redis_broker, enqueue, sent, EMAIL_BACKEND=SLOW, FAULT_EMAIL_DIR=str(mail_dir)
    )
    mails = [p.read_text() for p in mail_dir.iterdir()]
    subjects = [line for text in mails for line in re.findall(r"^Subject: .*$", text, re.MULTILINE)]
    assert subjects == ["Subject: Your sample shipped"]
    assert "To: mail-once@example.test" in mails[0]
    assert Notification.objects.filter(recipient=recipient).count() == 1


def test_a_killed_pool_child_is_requeued_at_once_and_the_email_sent_once(
    workers: Workers, redis_broker: Any, tmp_path: Path
) -> None:
    """Only the pool child dies (as with the OOM killer): its worker requeues the task at once
    (reject_on_worker_lost) and a fresh child sends the e-mail, without waiting for a timeout."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    recipient = factories.RoasterFactory(email="child-once@example.test")
    redis_broker.flushdb()
    worker = workers.start("a", EMAIL_BACKEND=SLOW, FAULT_EMAIL_DIR=str(mail_dir))
    with transaction.atomic():
        note = notify(recipient=recipient, kind="test", message="Your offer was accepted", dedupe_key="fault-child")
    assert note is not None
    assert wait_for(lambda: workers.marker_pid() is not None, 60), worker.output()
    child = workers.marker_pid()
    assert child is not None and child != worker.proc.pid
    os.kill(child, signal.SIGKILL)
    assert wait_for(lambda: Notification.objects.get(pk=note.pk).emailed_at is not None, 30), worker.output()
    assert wait_for(lambda: queue_drained(redis_broker), 30), worker.output()
    assert worker.proc.poll() is None  # the worker itself lived on
    assert {pid for pid, _what in workers.calls()} - {child}  # a new child sent it
    mails = [p.read_text() for p in mail_dir.iterdir()]
    assert [line for text in mails for line in re.findall(r"^Subject: .*$", text, re.MULTILINE)] == [
        "Subject: Your offer was accepted"
    ]


def _lots_for_sweep(producer: Any) -> list[Lot]:
    seed_reference_data()
    baseline(origin="CO", harvest_year=2024, median=Decimal("3.7700"))
    lots = []
    for i, price in enumerate(["7.3333", "30.0000", "12.5000", "9.9900", "45.0000", "18.2500", "22.0000"]):
        farm = factories.FarmFactory(producer=producer, country="CO")
        lot = factories.LotFactory(
            producer=producer, farm=farm, price=Decimal(price), price_unit="kg" if i % 2 else "lb", harvest_year=2024
        )
        lots.append(lot)
    LotPremium.objects.all().delete()
    Lot.objects.update(premium_ratio=None)
    return lots


def _premiums() -> dict[int, tuple[Any, ...]]:
    return {
        p.lot_id: (p.status, p.premium_ratio, p.fob_usd_per_lb, p.baseline_median, p.band_ratio)
        for p in LotPremium.objects.all()
    }


def test_a_premium_sweep_finishes_once_and_matches_the_per_lot_path(
    workers: Workers, redis_broker: Any, producer: Any, moderator: Any
) -> None:
    lots = _lots_for_sweep(producer)
    redis_broker.flushdb()  # listing the lots queued per-lot recomputes; only the sweep must run
    jobs: list[Job] = []
    partial: list[int] = []

    def enqueue() -> None:
        with transaction.atomic():
            jobs.append(sweep_start(by=moderator, reason="fault test"))

    def finished() -> bool:
        return Job.objects.get(pk=jobs[0].pk).finished

    kill_in_the_middle_then_recover(
        workers,
        redis_broker,
        enqueue,
        finished,
        while_stalled=lambda: partial.append(LotPremium.objects.count()),
        FAULT_SLOW="marketplace.pricing.tasks:job_progress:after",  # after the first batch committed
        FAULT_SWEEP_BATCH="2",
    )
    assert 0 < partial[0] < len(lots)  # killed with part of the sweep committed
    job = Job.objects.get(pk=jobs[0].pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert (job.done, job.total, job.result["lots"]) == (len(lots), len(lots), len(lots))
    assert AuditEvent.objects.filter(action="pricing.sweep_started").count() == 1
    swept = _premiums()
    ratios = dict(Lot.objects.values_list("pk", "premium_ratio"))
    assert len(swept) == len(lots) and all(v[0] == "ok" for v in swept.values())
    LotPremium.objects.all().delete()
    Lot.objects.update(premium_ratio=None)
    for lot in lots:
        lot_premium_recompute(lot_id=lot.pk)
    assert _premiums() == swept
    assert dict(Lot.objects.values_list("pk", "premium_ratio")) == ratios


@pytest.mark.parametrize(
    "stall",
    [
        # inside the import's transaction, with every sheet saved but nothing committed
        "cupping.imports:lot_score_recompute:before",
        # after the sheets committed, before the job was marked finished (the check-and-preview
        # run never calls job_finish for a valid file, so the stall hits the confirmed run)
        "cupping.imports:job_finish:before",
    ],
    ids=["mid-transaction", "after-commit"],
)
def test_a_csv_cupping_import_lands_one_set_of_sheets(
    workers: Workers, redis_broker: Any, producer: Any, q_grader: Any, stall: str
) -> None:
    lots = [factories.LotFactory(producer=producer) for _ in range(2)]
    csv_text = make_csv([sca_row(lots[0]), sca_row(lots[1], score="8.00"), sca_row(lots[0], score="7.75")])
    redis_broker.flushdb()
    jobs: list[Job] = []
    committed: list[int] = []

    def enqueue() -> None:
        # Upload, let worker A check it (nothing stalls before the preview), then confirm.
        job = cupping_import_start(by=q_grader, data=csv_text)
        jobs.append(job)
        assert wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.PREVIEWED, 60)
        cupping_import_confirm(job_id=job.pk, by=q_grader)

    def finished() -> bool:
        return Job.objects.get(pk=jobs[0].pk).finished

    kill_in_the_middle_then_recover(
        workers,
        redis_broker,
        enqueue,
        finished,
        while_stalled=lambda: committed.append(CuppingSheet.objects.count()),
        FAULT_SLOW=stall,
    )
    assert committed == [0 if "lot_score" in stall else 3]
    job = Job.objects.get(pk=jobs[0].pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    sheets = CuppingSheet.objects.filter(import_job=job.pk)
    assert sheets.count() == CuppingSheet.objects.count() == 3
    assert sorted(sheets.values_list("import_row", flat=True)) == [2, 3, 4]
    assert job.result["created"] == 3
    for lot in lots:
        lot.refresh_from_db()
        assert lot.official_score is not None


def _payment_whose_webhook_was_lost(lot: Any, roaster: Any) -> Payment:
    """Charged at Stripe (localstripe), but neither the webhook nor the buyer's return arrived."""
    order = make_order(lot, roaster, source_id=910)
    payment = payment_services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
    result = providers.get_provider("stripe").create_intent(
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=f"fault-{payment.pk}",
        metadata={"payment": str(payment.public_id), "attempt": "1"},
        payment_method="pm_card_visa",
        description="",
    )
    PaymentAttempt.objects.create(
        payment=payment, number=1, idempotency_key=f"fault-{payment.pk}", intent_id=result.intent_id
    )
    Payment.objects.filter(pk=payment.pk).update(
        attempts=1, status=PaymentStatus.PENDING, updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    return payment


def test_a_payment_reconciliation_records_one_ledger_entry(
    workers: Workers, redis_broker: Any, stripe_on: str, producer: Any, roaster: Any
) -> None:
    payment = _payment_whose_webhook_was_lost(factories.LotFactory(producer=producer), roaster)
    redis_broker.flushdb()
    seen_while_stalled: list[tuple[Any, ...]] = []

    def enqueue() -> None:
        payment_tasks.payment_reconcile.delay(payment.pk)

    def paid() -> bool:
        return Payment.objects.get(pk=payment.pk).status == PaymentStatus.PAID

    def while_stalled() -> None:
        # The ledger row is written but not committed: nobody else sees it.
        seen_while_stalled.append((PayoutEntry.objects.count(), Payment.objects.get(pk=payment.pk).status))

    kill_in_the_middle_then_recover(
        workers,
        redis_broker,
        enqueue,
        paid,
        while_stalled=while_stalled,
        FAULT_SLOW="marketplace.payments.services:_ledger:after",
        STRIPE_SECRET_KEY="sk_test_localstripe",
        STRIPE_API_BASE=stripe_on,
    )
    assert seen_while_stalled == [(0, PaymentStatus.PENDING)]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_paid) == (PaymentStatus.PAID, Decimal("3000.00"))
    assert PayoutEntry.objects.filter(payment=payment).count() == 1
    assert AuditEvent.objects.filter(action="payment.paid", target_id=str(payment.pk)).count() == 1
    assert Notification.objects.filter(dedupe_key=f"payment-received-{payment.pk}").count() == 1
    assert payment_tasks.payment_reconcile(payment.pk) == "already-done"
