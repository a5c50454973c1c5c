"""The custody hash chain: canonical content, hashing and verification.

content_hash = SHA-256(prev_hash + canonical JSON of the event, including its documents' SHA-256).
The first event's prev_hash is 64 zeros. Any later edit of a stored event (or its documents'
recorded hashes) changes the recomputed hash, so ``verify`` finds the first broken link. The head
(count and last hash) is anchored on the lot row and in every claim decision and passport, so
removing the last event, which leaves a consistent shorter chain, is detected too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from lots.models import CUSTODY_GENESIS, CustodyEvent, Lot

GENESIS = CUSTODY_GENESIS
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
class Anchor:
    """A head of the chain recorded elsewhere: ``count`` events ending in ``head_hash``.

    The lot row keeps the current head (updated in the same transaction as each append); every
    claim decision and passport records the head it saw. Without an anchor, deleting the last
    event leaves a shorter chain that is perfectly consistent in itself.
    """

    source: str
    count: int
    head_hash: str
    exact: bool = False  # the lot's own head: the chain must end exactly there


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str = ""
    code: str = "ok"  # ok, sequence_gap, link_mismatch, content_mismatch, truncated, head_mismatch, unanchored
    head_hash: str = GENESIS

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
            "code": self.code,
            "head_hash": self.head_hash,
        }


def _broken(count: int, seq: int, code: str, reason: str, head: str) -> ChainResult:
    return ChainResult(False, count, seq, reason, code, head)


def verify_events(events: Iterable[CustodyEvent], anchors: Iterable[Anchor] = ()) -> ChainResult:
    """Walk events in seq order (documents prefetched) and report the first broken link.

    Then hold the chain against its anchors: a recorded head beyond the chain's end means events
    were removed from the end; a recorded head whose event now has another hash means the chain
    was rewritten from there.
    """
    expected_prev = GENESIS
    hashes: list[str] = []
    for index, event in enumerate(events, start=1):
        if event.seq != index:
            return _broken(
                index,
                event.seq,
                "sequence_gap",
                _("sequence gap: event %(missing)s is missing before event %(seq)s")
                % {"missing": index, "seq": event.seq},
                expected_prev,
            )
        if event.prev_hash != expected_prev:
            return _broken(
                index,
                event.seq,
                "link_mismatch",
                _("event %(seq)s does not link to the event before it: events were re-ordered or replaced")
                % {"seq": event.seq},
                expected_prev,
            )
        if chain_hash(event.prev_hash, event_content(event)) != event.content_hash:
            return _broken(
                index,
                event.seq,
                "content_mismatch",
                _("event %(seq)s was changed after it was recorded: its content does not match its hash")
                % {"seq": event.seq},
                expected_prev,
            )
        expected_prev = event.content_hash
        hashes.append(event.content_hash)
    count = len(hashes)
    for anchor in anchors:
        if anchor.count > count:
            return _broken(
                count,
                count + 1,
                "truncated",
                _(
                    "the chain ends at event %(count)s but %(source)s recorded %(expected)s events: "
                    "the last event was removed"
                )
                % {"count": count, "source": anchor.source, "expected": anchor.count},
                expected_prev,
            )
        seen = hashes[anchor.count - 1] if anchor.count else GENESIS
        if seen != anchor.head_hash:
            return _broken(
                count,
                anchor.count,
                "head_mismatch",
                _("event %(seq)s does not match the head %(source)s recorded: the chain was rewritten")
                % {"seq": anchor.count, "source": anchor.source},
                expected_prev,
            )
        if anchor.exact and count > anchor.count:
            return _broken(
                count,
                anchor.count + 1,
                "unanchored",
                _("event %(seq)s was not appended through the chain: %(source)s ends at event %(expected)s")
                % {"seq": anchor.count + 1, "source": anchor.source, "expected": anchor.count},
                expected_prev,
            )
    return ChainResult(True, count, head_hash=expected_prev)


def anchors_for(lot_id: int) -> list[Anchor]:
    """The lot's own head (read fresh from its row), then the heads its claim decisions recorded."""
    head = Lot.objects.filter(pk=lot_id).values_list("custody_count", "custody_head_hash").first()
    anchors = [Anchor(str(_("the lot")), head[0], head[1], exact=True)] if head else []
    try:
        decision_model = apps.get_model("moderation", "ClaimDecision")
    except LookupError:  # pragma: no cover - moderation is part of the project
        return anchors
    rows = (
        decision_model.objects.filter(claim__lot_id=lot_id, custody_count__isnull=False)
        .order_by("-custody_count", "-pk")
        .values_list("pk", "custody_count", "custody_head_hash")
    )
    for pk, count, head_hash in rows:
        if count is not None:  # filtered above; kept for the type checker
            anchors.append(Anchor(str(_("claim decision #%(id)s") % {"id": pk}), count, head_hash))
    return anchors


def verify(lot: Lot | int) -> ChainResult:
    lot_id = lot if isinstance(lot, int) else lot.pk
    events = CustodyEvent.objects.filter(lot_id=lot_id).order_by("seq").prefetch_related("documents")
    return verify_events(events, anchors_for(lot_id))
