"""Writes of the moderation app: submitting claims, deciding them, replies, re-opening and recomputing.

Lock order is always lot row, then claim row (the lots services lock the lot before they send
``evidence_changed``, whose receiver updates claims), so a decision and an evidence change cannot
deadlock.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.services import audit_log, notify
from lots.models import Lot
from marketplace.moderation import conf, evidence, hallmarks
from marketplace.moderation.models import (
    ACTIVE_STATUSES,
    CLAIM_TRANSITIONS,
    DECISION_TARGET,
    ClaimDecision,
    ClaimKind,
    ClaimReply,
    ClaimStatus,
    Decision,
    EvidenceChange,
    HallmarkOutcome,
    HallmarkResult,
    Isolation,
    MicroLotClaim,
)

# Evidence kinds whose change re-opens an approved claim (core.signals.EVIDENCE_KINDS minus the
# computed premium and the harvest year, which a moderator sees but which do not revoke the badge).
REOPEN_KINDS = frozenset(
    {"custody", "weight", "price", "score", "cupping_sheet", "green_grading", "photo", "process", "origin"}
)


def _is_moderator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_moderator", False))


def claim_submit(*, lot: Lot, by: Any, kind: str, isolation: str, statement: str) -> MicroLotClaim:
    """A producer claims micro- or nano-lot status for one of their lots."""
    if not getattr(by, "is_authenticated", False) or by.pk != lot.producer_id:
        raise PermissionDenied(_("Only the lot's producer can submit a claim for it."))
    statement = (statement or "").strip()
    errors: dict[str, str] = {}
    if kind not in ClaimKind.values:
        errors["kind"] = _("Choose micro-lot or nano-lot.")
    if isolation not in Isolation.values:
        errors["isolation"] = _("Choose how the lot was isolated.")
    if len(statement) < conf.STATEMENT_MIN_LENGTH:
        errors["statement"] = _("Explain in at least %(n)s characters how the lot was kept separate.") % {
            "n": conf.STATEMENT_MIN_LENGTH
        }
    elif len(statement) > 5000:
        errors["statement"] = _("At most 5000 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        if locked.status == "withdrawn":
            raise ValidationError({"lot": _("A withdrawn lot cannot be claimed.")})
        if MicroLotClaim.objects.filter(lot=locked, status__in=ACTIVE_STATUSES).exists():
            raise Conflict(_("This lot already has an open or approved claim."))
        now = timezone.now()
        try:
            with transaction.atomic():
                claim = MicroLotClaim.objects.create(
                    lot=locked,
                    producer=by,
                    kind=kind,
                    isolation=isolation,
                    statement=statement,
                    waiting_since=now,
                    evidence_changed_at=now,
                )
        except IntegrityError as exc:  # the partial unique constraint, should the lock be bypassed
            raise Conflict(_("This lot already has an open or approved claim.")) from exc
        audit_log(
            actor=by,
            action="claim.submitted",
            target=claim,
            data={"lot": locked.pk, "kind": kind, "isolation": isolation},
        )
        _enqueue_recompute(claim.pk)
    return claim


def _enqueue_recompute(claim_id: int) -> None:
    from marketplace.moderation.tasks import recompute_claim_hallmarks

    recompute_claim_hallmarks.delay_on_commit(claim_id)


def claim_decide(
    *,
    claim: MicroLotClaim,
    by: Any,
    decision: str,
    reason: str,
    evidence_version: int | None = None,
    seen_status: str | None = None,
) -> ClaimDecision:
    """Approve, reject or ask for evidence, always with a reason; approval grants the badge.

    ``evidence_version`` (optional) is the version the moderator looked at: if evidence changed
    since, the decision is refused with Conflict rather than approving evidence nobody saw.
    ``seen_status`` (optional) is the claim status the moderator's page showed: if another
    moderator decided meanwhile, this decision is refused rather than silently overriding theirs.
    """
    if not _is_moderator(by):
        raise PermissionDenied(_("Only moderators decide claims."))
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = _("Choose approve, reject or request evidence.")
    if len(reason) < conf.REASON_MIN_LENGTH:
        errors["reason"] = _("Write the reason for your decision.")
    elif len(reason) > 5000:
        errors["reason"] = _("At most 5000 characters.")
    if errors:
        raise ValidationError(errors)
    target = DECISION_TARGET[decision]
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=claim.lot_id)
        if lot.producer_id == by.pk:
            raise PermissionDenied(_("Moderators may not decide claims on their own lots."))
        current = MicroLotClaim.objects.select_for_update().get(pk=claim.pk)
        if seen_status is not None and seen_status != current.status:
            raise Conflict(
                _("Another moderator decided this claim meanwhile; reload to see their decision."),
                extra={"status": current.status},
            )
        if target not in CLAIM_TRANSITIONS[current.status]:
            raise Conflict(
                _("A claim that is %(status)s cannot be %(target)s.")
                % {"status": current.get_status_display(), "target": ClaimStatus(target).label},
                extra={"status": current.status},
            )
        if target == ClaimStatus.APPROVED and lot.classification != current.kind:
            # DESIGN.md: over 1,000 kg can never carry the micro-lot badge, 50–100 kg neither badge.
            raise ValidationError(
                {
                    "decision": _("A lot of %(kg)s kg (%(cls)s) cannot carry the %(kind)s badge.")
                    % {"kg": lot.weight_kg, "cls": lot.get_classification_display(), "kind": current.get_kind_display()}
                }
            )
        if evidence_version is not None and evidence_version != current.evidence_version:
            raise Conflict(
                _("The evidence changed while you were looking at it; review the changes and decide again."),
                extra={"evidence_version": current.evidence_version},
            )
        now = timezone.now()
        fields: dict[str, Any] = {"status": target, "decided_at": now}
        # The guarded UPDATE is the real gate: it matches only the state we checked under the lock.
        updated = MicroLotClaim.objects.filter(
            pk=current.pk, status=current.status, evidence_version=current.evidence_version
        ).update(**fields)
        if updated != 1:  # pragma: no cover - the row lock makes this unreachable
            raise Conflict(_("The claim changed under you; reload and decide again."))
        record = ClaimDecision.objects.create(
            claim=current,
            moderator=by,
            decision=decision,
            reason=reason,
            from_status=current.status,
            evidence_version=current.evidence_version,
            custody_count=lot.custody_count,
            custody_head_hash=lot.custody_head_hash,
        )
        if target == ClaimStatus.APPROVED:
            Lot.objects.filter(pk=lot.pk, claims__pk=current.pk, claims__status=ClaimStatus.APPROVED).update(
                verified_badge=current.kind
            )
        elif current.status == ClaimStatus.APPROVED:
            Lot.objects.filter(pk=lot.pk, verified_badge=current.kind).update(verified_badge="")
        audit_log(
            actor=by,
            action=f"claim.{decision}",
            target=current,
            data={
                "lot": lot.pk,
                "from": current.status,
                "to": target,
                "reason": reason,
                "evidence_version": current.evidence_version,
                "decision": record.pk,
                "custody_count": lot.custody_count,
                "custody_head_hash": lot.custody_head_hash,
            },
        )
        notify(
            recipient=current.producer,
            kind="claim_decision",
            message=_("Your %(kind)s claim for %(lot)s: %(decision)s. Reason: %(reason)s")
            % {
                "kind": current.get_kind_display(),
                "lot": lot.name,
                "decision": Decision(decision).label,
                "reason": reason,
            },
            url=reverse("moderation:claim", args=[current.pk]),
            dedupe_key=f"claim-decision-{record.pk}",
        )
    return record


def claim_reply(*, claim: MicroLotClaim, by: Any, note: str) -> ClaimReply:
    """The producer answers; a claim waiting for evidence goes back to the moderators' queue."""
    if not getattr(by, "is_authenticated", False) or by.pk != claim.producer_id:
        raise PermissionDenied(_("Only the producer who made the claim can answer it."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write your answer.")})
    if len(note) > 5000:
        raise ValidationError({"note": _("At most 5000 characters.")})
    with transaction.atomic():
        Lot.objects.select_for_update().get(pk=claim.lot_id)
        current = MicroLotClaim.objects.select_for_update().get(pk=claim.pk)
        if current.status == ClaimStatus.REJECTED:
            raise Conflict(_("A rejected claim cannot be answered; submit a new claim instead."))
        reply = ClaimReply.objects.create(claim=current, author=by, note=note)
        data: dict[str, Any] = {"reply": reply.pk}
        if current.status == ClaimStatus.EVIDENCE_REQUESTED:
            MicroLotClaim.objects.filter(pk=current.pk, status=ClaimStatus.EVIDENCE_REQUESTED).update(
                status=ClaimStatus.PENDING, waiting_since=timezone.now()
            )
            data["to"] = ClaimStatus.PENDING
        audit_log(actor=by, action="claim.replied", target=current, data=data)
    return reply


def claims_record_evidence_change(*, lot_id: int, kind: str, detail: str = "", actor: Any = None) -> list[int]:
    """Note an evidence change on the lot's active claims; re-open approved ones and drop the badge.

    Runs inside the transaction of whoever changed the evidence, so the badge disappears in the
    same commit as the change that invalidates it. Returns the ids of the claims touched.
    """
    touched: list[int] = []
    detail = (detail or "")[:500]
    if not MicroLotClaim.objects.filter(lot_id=lot_id, status__in=ACTIVE_STATUSES).exists():
        return touched
    now = timezone.now()
    with transaction.atomic():
        # Lot before claims, as claim_decide does (free if the sender already holds it).
        Lot.objects.select_for_update().filter(pk=lot_id).first()
        claims = list(
            MicroLotClaim.objects.select_for_update().filter(lot_id=lot_id, status__in=ACTIVE_STATUSES).order_by("pk")
        )
        for claim in claims:
            reopen = claim.status == ClaimStatus.APPROVED and kind in REOPEN_KINDS
            back_to_queue = claim.status == ClaimStatus.EVIDENCE_REQUESTED and kind in REOPEN_KINDS
            version = claim.evidence_version + 1
            fields: dict[str, Any] = {"evidence_version": F("evidence_version") + 1, "evidence_changed_at": now}
            if reopen or back_to_queue:
                fields.update(status=ClaimStatus.PENDING, waiting_since=now)
            if reopen:
                fields["reopened_count"] = F("reopened_count") + 1
            MicroLotClaim.objects.filter(pk=claim.pk).update(**fields)
            EvidenceChange.objects.create(
                claim=claim,
                kind=kind,
                detail=detail,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                reopened=reopen,
                evidence_version=version,
            )
            if reopen:
                Lot.objects.filter(pk=lot_id, verified_badge=claim.kind).update(verified_badge="")
                audit_log(
                    actor=actor,
                    action="claim.reopened",
                    target=claim,
                    data={"lot": lot_id, "kind": kind, "detail": detail, "evidence_version": version},
                )
                notify(
                    recipient=claim.producer,
                    kind="claim_reopened",
                    message=_(
                        "The evidence of your verified lot changed (%(kind)s); the badge is paused until a "
                        "moderator reviews it again."
                    )
                    % {"kind": kind},
                    url=reverse("moderation:claim", args=[claim.pk]),
                    dedupe_key=f"claim-reopened-{claim.pk}-{version}",
                )
            elif back_to_queue:
                audit_log(
                    actor=actor,
                    action="claim.evidence_added",
                    target=claim,
                    data={"lot": lot_id, "kind": kind, "detail": detail, "evidence_version": version},
                )
            touched.append(claim.pk)
            _enqueue_recompute(claim.pk)
    return touched


def claim_recompute(*, claim_id: int) -> str:
    """Recompute every hallmark of a claim from current evidence. Safe to run twice or concurrently.

    Returns "computed", "superseded" (evidence changed meanwhile: the run queued by that change
    will write) or "gone".
    """
    claim = MicroLotClaim.objects.filter(pk=claim_id).first()
    if claim is None:
        return "gone"
    version = claim.evidence_version
    findings = hallmarks.evaluate(evidence.gather(claim=claim))
    now = timezone.now()
    with transaction.atomic():
        locked = MicroLotClaim.objects.select_for_update().filter(pk=claim_id).first()
        if locked is None:
            return "gone"
        if locked.evidence_version != version:
            return "superseded"
        for finding in findings:
            HallmarkResult.objects.update_or_create(
                claim=locked,
                key=finding.key,
                defaults={"result": finding.result, "reason": finding.reason, "computed_at": now},
            )
        MicroLotClaim.objects.filter(pk=claim_id).update(
            hallmarks_computed_at=now,
            hallmarks_version=version,
            fail_count=sum(1 for f in findings if f.result == HallmarkOutcome.FAIL),
            warn_count=sum(1 for f in findings if f.result == HallmarkOutcome.WARN),
        )
    return "computed"


def hallmarks_stale(claim: MicroLotClaim) -> bool:
    if claim.hallmarks_computed_at is None or claim.hallmarks_version != claim.evidence_version:
        return True
    age = timezone.now() - claim.hallmarks_computed_at
    return age > datetime.timedelta(seconds=conf.HALLMARKS_MAX_AGE_SECONDS)


def claim_refresh_if_stale(*, claim: MicroLotClaim) -> MicroLotClaim:
    """Called when a page or the API shows a claim: never show results older than the evidence."""
    if hallmarks_stale(claim):
        claim_recompute(claim_id=claim.pk)
        claim.refresh_from_db()
    return claim
