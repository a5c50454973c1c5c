"""Signal receivers: enqueue work on commit, never do it inline."""

from __future__ import annotations

from typing import Any

# "competition": a verified result's provenance tag came or went, so the alert tag is re-checked.
TAGGING_KINDS = frozenset({"weight", "score", "competition"})


def on_evidence_changed(sender: Any, lot_id: int, kind: str, **kwargs: Any) -> None:
    """A lot's weight or score changed: re-check its competition tag once the change commits."""
    if kind not in TAGGING_KINDS:
        return
    from marketplace.auctions.tasks import competition_tag_lot

    competition_tag_lot.delay_on_commit(lot_id)
