"""The custody hash chain: canonical content, hashing and verification.

content_hash = SHA-256(prev_hash + canonical JSON of the event, including its documents' SHA-256).
The first event's prev_hash is 64 zeros. Any later edit of a stored event (or its documents'
recorded hashes) changes the recomputed hash, so ``verify`` finds the first broken link.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lots.models import CustodyEvent, Lot

GENESIS = "0" * 64
WEIGHT_PLACES = Decimal("0.01")


def _weight(value: Any) -> str:
    return str(Decimal(value).quantize(WEIGHT_PLACES))


def _date(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value.isoformat() if value is not None else ""


def canonical_content(
    *,
    lot_id: int,
    seq: int,
    stage: str,
    occurred_on: datetime.date,
    place: str,
    state_in: str,
    state_out: str,
    weight_in_kg: Any,
    weight_out_kg: Any,
    separated: bool,
    notes: str,
    corrects_id: int | None,
    recorded_by_id: int | None,
    recorded_at: datetime.datetime,
    documents: Iterable[tuple[str, str]],
) -> bytes:
    """Deterministic bytes for one event; documents are (name, sha256) pairs in any order."""
    payload = {
        "lot": lot_id,
        "seq": seq,
        "stage": stage,
        "occurred_on": _date(occurred_on),
        "place": place,
        "state_in": state_in,
        "state_out": state_out,
        "weight_in_kg": _weight(weight_in_kg),
        "weight_out_kg": _weight(weight_out_kg),
        "separated": bool(separated),
        "notes": notes,
        "corrects": corrects_id,
        "recorded_by": recorded_by_id,
        "recorded_at": _date(recorded_at),
        "documents": sorted([{"name": n, "sha256": h} for n, h in documents], key=lambda d: (d["sha256"], d["name"])),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def event_content(event: CustodyEvent, documents: Iterable[tuple[str, str]] | None = None) -> bytes:
    if documents is None:
        documents = [(d.name, d.sha256) for d in event.documents.all()]
    return canonical_content(
        lot_id=event.lot_id,
        seq=event.seq,
        stage=event.stage,
        occurred_on=event.occurred_on,
        place=event.place,
        state_in=event.state_in,
        state_out=event.state_out,
        weight_in_kg=event.weight_in_kg,
        weight_out_kg=event.weight_out_kg,
        separated=event.separated,
        notes=event.notes,
        corrects_id=event.corrects_id,
        recorded_by_id=event.recorded_by_id,
        recorded_at=event.recorded_at,
        documents=documents,
    )


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
        }


def verify_events(events: Iterable[CustodyEvent]) -> ChainResult:
    """Walk events in seq order (documents prefetched) and report the first broken link."""
    expected_prev = GENESIS
    count = 0
    for index, event in enumerate(events, start=1):
        count = index
        if event.seq != index:
            return ChainResult(False, index, event.seq, "sequence gap: an event is missing")
        if event.prev_hash != expected_prev:
            return ChainResult(False, index, event.seq, "link to the previous event does not match")
        if chain_hash(event.prev_hash, event_content(event)) != event.content_hash:
            return ChainResult(False, index, event.seq, "content does not match its hash")
        expected_prev = event.content_hash
    return ChainResult(True, count)


def verify(lot: Lot | int) -> ChainResult:
    lot_id = lot if isinstance(lot, int) else lot.pk
    events = CustodyEvent.objects.filter(lot_id=lot_id).order_by("seq").prefetch_related("documents")
    return verify_events(events)
