"""Receivers of other apps' evidence changes that move the official score."""

from __future__ import annotations

from typing import Any


def on_evidence_changed(sender: Any, lot_id: int, kind: str, **kwargs: Any) -> None:
    # A new harvest year makes last year's sheets stop counting: rebuild the score after commit.
    if kind == "harvest_year":
        from cupping.tasks import recompute_lot_score

        # The project's task class logs (rather than raises) a broker failure after commit.
        recompute_lot_score.delay_on_commit(lot_id)
