"""React to ``core.signals.evidence_changed``: note the change on the lot's claims (re-opening an
approved one) in the sender's transaction; the hallmarks are recomputed by a task after commit."""

from __future__ import annotations

from typing import Any

from marketplace.moderation.services import claims_record_evidence_change


def on_evidence_changed(sender: Any, *, lot_id: int, kind: str, detail: str = "", actor: Any = None, **_: Any) -> None:
    claims_record_evidence_change(lot_id=lot_id, kind=kind, detail=detail, actor=actor)
