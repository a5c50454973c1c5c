from __future__ import annotations

from typing import Any

import pytest

from marketplace.moderation import services
from tests.moderation.builders import genuine_lot


@pytest.fixture
def no_broker(monkeypatch: Any) -> list[int]:
    """Record recompute tasks instead of sending them."""
    sent: list[int] = []
    from marketplace.moderation import tasks

    monkeypatch.setattr(tasks.recompute_claim_hallmarks, "delay_on_commit", lambda claim_id: sent.append(claim_id))
    return sent


@pytest.fixture
def lot(producer: Any, q_grader: Any) -> Any:
    return genuine_lot(producer, q_grader)


@pytest.fixture
def claim(lot: Any, no_broker: list[int]) -> Any:
    claim = services.claim_submit(
        lot=lot,
        by=lot.producer,
        kind="micro",
        isolation="geographic",
        statement="Picked from the top terrace on two days and processed apart at every stage.",
    )
    services.claim_recompute(claim_id=claim.pk)
    claim.refresh_from_db()
    return claim
