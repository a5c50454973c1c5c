"""Races on PostgreSQL: concurrent decisions, submissions, and a decision racing an evidence change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db import connection

from lots.models import Lot
from marketplace.moderation import services
from marketplace.moderation.models import ClaimDecision, EvidenceChange, MicroLotClaim
from marketplace.pricing.models import LotPremium
from tests import factories
from tests.moderation.builders import add_chain, genuine_lot

D = Decimal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STATEMENT = "Picked from one terrace and processed apart at every stage."


def run_concurrently(fns: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    barrier = threading.Barrier(len(fns))
    results: list[tuple[str, Any]] = [("none", None)] * len(fns)

    def worker(i: int, fn: Callable[[], Any]) -> None:
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


def test_two_moderators_deciding_at_once_make_exactly_one_decision(require_postgres, producer, q_grader, no_broker):
    lot = genuine_lot(producer, q_grader)  # every hallmark passes: an approval needs no override
    claim = services.claim_submit(lot=lot, by=producer, kind="micro", isolation="geographic", statement=STATEMENT)
    mods = [factories.ModeratorFactory() for _ in range(4)]
    decisions = ["approve", "reject", "approve", "reject"]
    res = run_concurrently(
        [
            # Each moderator decides from the page they saw: a pending claim.
            partial(
                services.claim_decide,
                claim=claim,
                by=m,
                decision=d,
                reason="Decided under contention.",
                seen_status="pending",
            )
            for m, d in zip(mods, decisions, strict=True)
        ]
    )
    assert sorted(r[0] for r in res) == ["err", "err", "err", "ok"]
    assert {r[1] for r in res if r[0] == "err"} == {"Conflict"}
    assert ClaimDecision.objects.filter(claim=claim).count() == 1
    claim.refresh_from_db()
    badge = Lot.objects.get(pk=lot.pk).verified_badge
    assert (claim.status == "approved") == (badge == "micro")


def test_concurrent_submissions_create_one_claim(require_postgres, producer, no_broker):
    lot = factories.LotFactory(producer=producer)
    res = run_concurrently(
        [
            partial(services.claim_submit, lot=lot, by=producer, kind="micro", isolation="process", statement=STATEMENT)
            for _ in range(4)
        ]
    )
    assert sorted(r[0] for r in res) == ["err", "err", "err", "ok"]
    assert {r[1] for r in res if r[0] == "err"} == {"Conflict"}
    assert MicroLotClaim.objects.filter(lot=lot).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_an_approval_racing_an_evidence_change_never_leaves_a_badge_on_an_unapproved_claim(
    require_postgres, producer, moderator, q_grader, no_broker, attempt
):
    lot = genuine_lot(producer, q_grader)
    claim = services.claim_submit(lot=lot, by=producer, kind="micro", isolation="geographic", statement=STATEMENT)
    res = run_concurrently(
        [
            partial(services.claim_decide, claim=claim, by=moderator, decision="approve", reason="Approved in a race."),
            # A harmless new event (the packed bags reach the warehouse): every hallmark still passes.
            partial(add_chain, lot, [("warehouse", "green", "green", "300", "300")]),
        ]
    )
    assert [r[0] for r in res] == ["ok", "ok"], res
    claim.refresh_from_db()
    badge = Lot.objects.get(pk=lot.pk).verified_badge
    # Either the change came first (approved, badge on) or it re-opened the approval (pending, no badge).
    assert (claim.status, badge) in {("approved", "micro"), ("pending", "")}
    assert claim.evidence_version == 2


@pytest.mark.parametrize("attempt", range(2))
def test_recomputes_racing_on_an_approved_claim_whose_premium_now_fails_reopen_it_once(
    require_postgres, producer, moderator, q_grader, no_broker, attempt
):
    lot = genuine_lot(producer, q_grader)
    claim = services.claim_submit(lot=lot, by=producer, kind="micro", isolation="geographic", statement=STATEMENT)
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    # The premium is recomputed against another baseline (not an evidence change that re-opens).
    LotPremium.objects.filter(lot=lot).update(premium_ratio=D("14"), flag_over_10x=True)
    res = run_concurrently([partial(services.claim_recompute, claim_id=claim.pk) for _ in range(3)])
    assert sorted(r[1] for r in res) == ["computed", "computed", "reopened"], res
    claim.refresh_from_db()
    assert (claim.status, claim.reopened_count) == ("pending", 1)
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""
    assert EvidenceChange.objects.filter(claim=claim, kind="hallmarks", reopened=True).count() == 1
