"""Recompute a lot's premium when something it rests on changes (connected in PricingConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

TRIGGER_KINDS = frozenset({"price", "origin", "harvest_year", "score", "weight", "competition"})


def on_evidence_changed(sender: Any, lot_id: int, kind: str, **kwargs: Any) -> None:
    if kind not in TRIGGER_KINDS:
        return
    from marketplace.pricing.tasks import premium_recompute_lot

    # Only after commit: the worker must read the new price, and a rollback must enqueue nothing.
    # Robust: with the broker down the change is already committed, so a failed enqueue is logged
    # instead of answering 500; the nightly premium sweep recomputes the lot.
    transaction.on_commit(lambda: premium_recompute_lot.delay(lot_id), robust=True)


def on_lot_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    """A lot that has just been listed gets its premium now, not at the nightly sweep.

    Listing sends no evidence signal (nothing a premium rests on changed), so watch the save itself.
    """
    if instance.status != "listed":
        return
    if not (created or update_fields is None or "status" in update_fields):
        return
    from marketplace.pricing.tasks import premium_recompute_lot

    lot_id = instance.pk
    transaction.on_commit(lambda: premium_recompute_lot.delay(lot_id), robust=True)  # as above
