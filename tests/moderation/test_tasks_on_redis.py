"""The hallmarks are recomputed by a real Celery worker on Redis after an evidence change commits."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from marketplace.moderation import services
from marketplace.moderation.models import HallmarkResult, MicroLotClaim
from marketplace.moderation.tasks import recompute_claim_hallmarks
from tests.moderation.builders import add_chain, genuine_lot

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_an_evidence_change_is_recomputed_on_a_real_worker(celery_worker_on_redis, producer, q_grader, moderator):
    lot = genuine_lot(producer, q_grader)
    claim = services.claim_submit(
        lot=lot, by=producer, kind="micro", isolation="geographic", statement="Kept apart at every stage."
    )

    def computed() -> bool:
        c = MicroLotClaim.objects.get(pk=claim.pk)
        return c.hallmarks_version == c.evidence_version and c.hallmarks_computed_at is not None

    assert wait_for(computed)
    # (Pricing's own tasks may recompute the premium on the same worker; separation is ours alone.)
    assert HallmarkResult.objects.get(claim=claim, key="separation").result == "pass"
    assert HallmarkResult.objects.filter(claim=claim).count() == 8
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="All eight hallmarks pass.")
    # A blending event: packing more than was dried re-opens the claim and, on the worker, fails separation.
    add_chain(lot, [("packaging", "green", "green", "300", "520")])
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "pending"
    assert wait_for(lambda: computed() and MicroLotClaim.objects.get(pk=claim.pk).evidence_version == 2)
    assert HallmarkResult.objects.get(claim=claim, key="separation").result == "fail"


def test_the_task_is_safe_to_run_twice(celery_worker_on_redis, producer, q_grader):
    lot = genuine_lot(producer, q_grader)
    claim = services.claim_submit(
        lot=lot, by=producer, kind="micro", isolation="geographic", statement="Kept apart at every stage."
    )

    # Results are not stored by the project (and the app's result backend may be cached as disabled
    # by earlier tests), so the second run is observed through the row it rewrites.
    def computed_at() -> object:
        return MicroLotClaim.objects.get(pk=claim.pk).hallmarks_computed_at

    recompute_claim_hallmarks.delay(claim.pk)
    assert wait_for(lambda: computed_at() is not None)
    first = computed_at()
    recompute_claim_hallmarks.delay(claim.pk)
    assert wait_for(lambda: computed_at() != first)
    assert HallmarkResult.objects.filter(claim=claim).count() == 8
    assert recompute_claim_hallmarks(10**9) == "gone"
