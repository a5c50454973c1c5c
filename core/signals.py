"""Signals between apps, so that no app has to import another's internals.

``evidence_changed`` is sent (inside the writing transaction) whenever something a lot's claims,
premium or tags rest on changes. Receivers must only enqueue work with ``delay_on_commit`` or
``transaction.on_commit``; they must not do slow work inline.

``kind`` is one of EVIDENCE_KINDS; ``detail`` is a short human-readable description of the change
(shown to moderators); ``actor`` may be None for background work.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

EVIDENCE_KINDS = (
    "weight",  # the lot's green weight changed
    "price",  # asking price, currency, unit or incoterm changed
    "origin",  # farm, plots, country or region changed
    "harvest_year",
    "process",  # process, modifiers or the additives disclosure changed
    "custody",  # a custody event (or document) was added
    "photo",  # a photo was added or removed
    "cupping_sheet",  # a cupping sheet was added or withdrawn
    "score",  # the lot's official score changed
    "green_grading",  # a green-grading report was added or withdrawn
    "premium",  # the computed price premium changed
    "competition",  # a competition result was verified or rejected (price provenance)
)

evidence_changed = Signal()  # sender=<model class>, lot_id=int, kind=str, detail=str, actor=User|None


def send_evidence_changed(*, sender: Any, lot_id: int, kind: str, detail: str = "", actor: Any = None) -> None:
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"unknown evidence kind {kind!r}")
    evidence_changed.send(sender=sender, lot_id=lot_id, kind=kind, detail=detail, actor=actor)


# Sweeps change many lots at once. They send ``evidence_changed_many`` once with every lot id, so a
# receiver that must query per lot can do it in one query; then ``evidence_changed`` per lot with
# ``bulk=True`` for everyone else. A receiver connected to both skips the per-lot calls with bulk=True.
evidence_changed_many = Signal()  # sender=<model class>, lot_ids=list[int], kind=str, detail=str, actor


def send_evidence_changed_many(
    *, sender: Any, lot_ids: list[int], kind: str, detail: str = "", actor: Any = None
) -> None:
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"unknown evidence kind {kind!r}")
    if not lot_ids:
        return
    evidence_changed_many.send(sender=sender, lot_ids=list(lot_ids), kind=kind, detail=detail, actor=actor)
    for lot_id in lot_ids:
        evidence_changed.send(sender=sender, lot_id=lot_id, kind=kind, detail=detail, actor=actor, bulk=True)
