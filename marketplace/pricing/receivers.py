"""Recompute a lot's premium when something it rests on changes (connected in PricingConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

TRIGGER_KINDS = frozenset({"price", "origin", "harvest_year", "score", "weight"})


def on_evidence_changed(sender: Any, lot_id: int, kind: str, **kwargs: Any) -> None:
    if kind not in TRIGGER_KINDS:
        return
    from marketplace.pricing.tasks import premium_recompute_lot

    # Only after commit: the worker must read the new price, and a rollback must enqueue nothing.
    transaction.on_commit(lambda: premium_recompute_lot.delay(lot_id))
