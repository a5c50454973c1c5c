"""Races on PostgreSQL: moderators deciding the same result at once, and a decision racing the alert sweep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from core.models import AuditEvent
from lots.models import Lot, LotTag
from marketplace.auctions import services as auctions
from marketplace.competitions.models import CompetitionResult
from tests.conftest import api_client_for
from tests.factories import LotFactory, ModeratorFactory
from tests.pricing.conftest import verified_result

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(fns: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    barrier = threading.Barrier(len(fns))
    results: list[tuple[str, Any]] = [("missing", None)] * len(fns)

    def worker(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:
            results[i] = ("err", f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_eight_moderators_verifying_one_result_at_once_leave_one_decision_and_one_tag(require_postgres, producer):
    lot = LotFactory(producer=producer)
    result = verified_result(lot, status="pending")
    moderators = [ModeratorFactory() for _ in range(8)]
    url = f"/api/v1/competitions/results/{result.pk}/verify/"
    results = run_concurrently(
        [lambda m=m: api_client_for(m).post(url, {}, format="json").status_code for m in moderators]
    )
    assert results == [("ok", 200)] * 8, results
    assert AuditEvent.objects.filter(action="competition.result_verified").count() == 1
    assert LotTag.objects.filter(lot=lot, tag="competition").count() == 1


def test_verify_and_reject_racing_leave_the_tag_matching_the_final_status(require_postgres, producer):
    for _round in range(5):
        lot = LotFactory(producer=producer, code=f"R-{_round}")
        result = verified_result(lot, status="pending")
        a, b = ModeratorFactory(), ModeratorFactory()
        base = f"/api/v1/competitions/results/{result.pk}/"

        def verify(user: Any = a, url: str = base + "verify/") -> int:
            return api_client_for(user).post(url, {}, format="json").status_code

        def reject(user: Any = b, url: str = base + "reject/") -> int:
            return api_client_for(user).post(url, {"reason": "Not on the list."}, format="json").status_code

        results = run_concurrently([verify, reject])
        assert all(kind == "ok" and status == 200 for kind, status in results), results
        final = CompetitionResult.objects.get(pk=result.pk).status
        tagged = LotTag.objects.filter(lot=lot, tag="competition").exists()
        assert tagged == (final == "verified"), (final, tagged)


def test_a_verification_racing_the_alert_sweep_keeps_the_provenance_tag(require_postgres, producer, moderator):
    """The sweep may see the nano-lot's old automatic tag; the provenance tag must survive it."""
    for _round in range(5):
        lot = LotFactory(producer=producer, code=f"N-{_round}", weight_kg=Decimal("20"))
        Lot.objects.filter(pk=lot.pk).update(official_score=Decimal("80.00"), official_score_protocol="sca2004")
        LotTag.objects.create(lot=lot, tag="competition", source="auto")  # a stale alert, the sweep's own
        result = verified_result(lot, status="pending")
        url = f"/api/v1/competitions/results/{result.pk}/verify/"
        results = run_concurrently(
            [
                lambda url=url: api_client_for(moderator).post(url, {}, format="json").status_code,
                auctions.competition_sweep,
            ]
        )
        assert all(kind == "ok" for kind, _ in results), results
        assert LotTag.objects.get(lot=lot, tag="competition").source == "competition_result"
