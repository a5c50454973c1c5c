"""React to ``core.signals.evidence_changed``: note the change on the lot's claims (re-opening an
approved one) in the sender's transaction; the hallmarks are recomputed by a task after commit."""

from __future__ import annotations

from typing import Any

from marketplace.moderation.models import ACTIVE_STATUSES, MicroLotClaim
from marketplace.moderation.services import claims_record_evidence_change


def on_evidence_changed(
    sender: Any, *, lot_id: int, kind: str, detail: str = "", actor: Any = None, bulk: bool = False, **_: Any
) -> None:
    if bulk:  # handled once for all lots by on_evidence_changed_many
        return
    claims_record_evidence_change(lot_id=lot_id, kind=kind, detail=detail, actor=actor)


def on_evidence_changed_many(
    sender: Any, *, lot_ids: list[int], kind: str, detail: str = "", actor: Any = None, **_: Any
) -> None:
    """A sweep changed many lots: find the few with an active claim in one query."""
    with_claims = set(
        MicroLotClaim.objects.filter(lot_id__in=lot_ids, status__in=ACTIVE_STATUSES).values_list("lot_id", flat=True)
    )
    for lot_id in sorted(with_claims):
        claims_record_evidence_change(lot_id=lot_id, kind=kind, detail=detail, actor=actor)
