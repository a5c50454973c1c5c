"""Race-prone writes on PostgreSQL: concurrent edits of one lot, concurrent custody appends."""

import datetime
import threading
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection

from lots import services
from lots.models import CustodyEvent, Lot
from tests.factories import LotFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def run_concurrently(fns):
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:
            results[i] = ("err", type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_of_six_edits_from_the_same_version_exactly_one_wins(require_postgres, producer):
    lot = LotFactory(producer=producer, status="draft")
    edits = [
        partial(services.lot_update, lot=lot, by=producer, data={"name": f"Edit {i}"}, expected_version=lot.version)
        for i in range(6)
    ]
    results = run_concurrently(edits)
    assert sorted(r[0] for r in results) == ["err"] * 5 + ["ok"]
    assert {r[1] for r in results if r[0] == "err"} == {"Conflict"}
    fresh = Lot.objects.get(pk=lot.pk)
    assert fresh.version == lot.version + 1
    winner = next(r[1] for r in results if r[0] == "ok")
    assert fresh.name == winner.name


def test_concurrent_custody_appends_keep_one_unbroken_chain(require_postgres, producer):
    lot = LotFactory(producer=producer, status="draft")
    appends = [
        partial(
            services.custody_event_add,
            lot=lot,
            by=producer,
            stage="harvest",
            occurred_on=datetime.date(2025, 10, 1),
            state_in="cherry",
            state_out="cherry",
            weight_in_kg=Decimal(100 + i),
            weight_out_kg=Decimal(100 + i),
            separated=True,
        )
        for i in range(6)
    ]
    results = run_concurrently(appends)
    assert [r[0] for r in results] == ["ok"] * 6
    assert sorted(CustodyEvent.objects.filter(lot=lot).values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert services.custody_verify(lot).ok


def test_two_concurrent_withdrawals_leave_one_audited_change(require_postgres, producer):
    from core.models import AuditEvent

    lot = LotFactory(producer=producer, status="listed")
    results = run_concurrently(
        [partial(services.lot_withdraw, lot=lot, by=producer), partial(services.lot_withdraw, lot=lot, by=producer)]
    )
    assert [r[0] for r in results] == ["ok", "ok"]
    assert AuditEvent.objects.filter(action="lot.status_changed", target_id=str(lot.pk)).count() == 1
