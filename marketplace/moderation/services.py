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
    HallmarkKey,
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


def _clean_overrides(overrides: Any) -> dict[str, str]:
    """hallmark key → the moderator's reason; blank reasons are dropped (an unused form field)."""
    if overrides is None or overrides == "":
        return {}
    if not isinstance(overrides, dict):
        raise ValidationError({"overrides": _("Give the overrides as hallmark code → reason.")})
    if len(overrides) > len(HallmarkKey.values):
        raise ValidationError(
            {"overrides": _("At most one override per hallmark (%(n)s).") % {"n": len(HallmarkKey.values)}}
        )
    cleaned: dict[str, str] = {}
    unknown: list[str] = []
    short: list[str] = []
    long: list[str] = []
    for key, text in overrides.items():
        if key not in HallmarkKey.values:
            unknown.append(str(key)[:40])
            continue
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            continue
        if len(text) < conf.OVERRIDE_REASON_MIN_LENGTH:
            short.append(_hallmark_names([key]))
        elif len(text) > conf.OVERRIDE_REASON_MAX_LENGTH:
            long.append(_hallmark_names([key]))
        cleaned[key] = text
    if unknown:
        raise ValidationError(
            {
                "overrides": _("Unknown hallmark(s): %(keys)s. Hallmarks are %(known)s.")
                % {"keys": ", ".join(unknown), "known": ", ".join(HallmarkKey.values)}
            }
        )
    if short:
        raise ValidationError(
            {
                "overrides": _("Write at least %(n)s characters on why you approve despite: %(list)s.")
                % {"n": conf.OVERRIDE_REASON_MIN_LENGTH, "list": ", ".join(short)}
            }
        )
    if long:
        raise ValidationError(
            {
                "overrides": _("At most %(n)s characters for each override: %(list)s.")
                % {"n": conf.OVERRIDE_REASON_MAX_LENGTH, "list": ", ".join(long)}
            }
        )
    return cleaned


def _hallmark_names(keys: list[str]) -> str:
    """ "Score (score), Separation (separation)": the label a moderator reads and the code the API takes."""
    return ", ".join(f"{HallmarkKey(k).label} ({k})" for k in keys)


def _override_refusal(failing: list[str], overrides: dict[str, str]) -> ValidationError | None:
    """An approval must give a reason for each failing hallmark, and only for failing ones."""
    missing = [k for k in failing if k not in overrides]
    if missing:
        return ValidationError(
            {
                "overrides": _(
                    "These hallmarks fail: to approve despite them, write a reason for each one. Missing: %(list)s."
                )
                % {"list": _hallmark_names(missing)}
            }
        )
    needless = [k for k in overrides if k not in failing]
    if needless:
        return ValidationError(
            {
                "overrides": _("Only failing hallmarks can be approved despite; these do not fail: %(list)s.")
                % {"list": _hallmark_names(needless)}
            }
        )
    return None


def _store_findings(*, claim_id: int, findings: list[hallmarks.Finding], version: int, now: Any) -> None:
    """Write a claim's hallmark results in place (the caller holds the claim's row lock)."""
    for finding in findings:
        HallmarkResult.objects.update_or_create(
            claim_id=claim_id,
            key=finding.key,
            defaults={
                "result": finding.result,
                "reason": finding.reason,
                "reasons": finding.reasons,
                "computed_at": now,
            },
        )
    MicroLotClaim.objects.filter(pk=claim_id).update(
        hallmarks_computed_at=now,
        hallmarks_version=version,
        fail_count=sum(1 for f in findings if f.result == HallmarkOutcome.FAIL),
        warn_count=sum(1 for f in findings if f.result == HallmarkOutcome.WARN),
    )


def approval_overrides(claim: MicroLotClaim) -> dict[str, str]:
    """The overrides of the decision that approved the claim (its latest approval), if any."""
    approvals = ClaimDecision.objects.filter(claim_id=claim.pk, decision=Decision.APPROVE)
    decision = approvals.order_by("-created_at", "-pk").first()
    return dict(decision.overrides or {}) if decision is not None else {}


def claim_decide(
    *,
    claim: MicroLotClaim,
    by: Any,
    decision: str,
    reason: str,
    overrides: dict[str, str] | None = None,
    evidence_version: int | None = None,
    seen_status: str | None = None,
) -> ClaimDecision:
    """Approve, reject or ask for evidence, always with a reason; approval grants the badge.

    The hallmarks are recomputed under the claim's lock, from the evidence being decided on. An
    approval while any of them fails needs ``overrides``: for each failing hallmark (and only those)
    a written reason, kept on the decision and in the audit trail, and shown to buyers. Refused,
    the fresh results are still saved so the moderator sees what now fails.

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
    cleaned = _clean_overrides(overrides)
    if cleaned and decision != Decision.APPROVE:
        raise ValidationError({"overrides": _("Only an approval is given despite failing hallmarks.")})
    target = DECISION_TARGET[decision]
    refusal: ValidationError | None = None
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
        # Under the lot and claim locks no evidence change can slip in, so these are the results
        # of exactly the evidence (version) this decision is about.
        findings = hallmarks.evaluate_translated(evidence.gather(claim=current))
        _store_findings(claim_id=current.pk, findings=findings, version=current.evidence_version, now=now)
        failing = [f.key for f in findings if f.result == HallmarkOutcome.FAIL]
        if target == ClaimStatus.APPROVED:
            refusal = _override_refusal(failing, cleaned)
        if refusal is None:
            record = _record_decision(
                lot=lot,
                claim=current,
                by=by,
                decision=decision,
                target=target,
                reason=reason,
                overrides=cleaned,
                findings=findings,
                now=now,
            )
    if refusal is not None:
        # Raised after the commit of the fresh results: the page then shows what now fails.
        raise refusal
    return record


def _record_decision(
    *,
    lot: Lot,
    claim: MicroLotClaim,
    by: Any,
    decision: str,
    target: str,
    reason: str,
    overrides: dict[str, str],
    findings: list[hallmarks.Finding],
    now: Any,
) -> ClaimDecision:
    """The decision's writes, inside claim_decide's transaction and locks."""
    fields: dict[str, Any] = {"status": target, "decided_at": now}
    # The guarded UPDATE is the real gate: it matches only the state we checked under the lock.
    updated = MicroLotClaim.objects.filter(
        pk=claim.pk, status=claim.status, evidence_version=claim.evidence_version
    ).update(**fields)
    if updated != 1:  # pragma: no cover - the row lock makes this unreachable
        raise Conflict(_("The claim changed under you; reload and decide again."))
    snapshot = {f.key: {"result": f.result, "reason": f.reason} for f in findings}
    record = ClaimDecision.objects.create(
        claim=claim,
        moderator=by,
        decision=decision,
        reason=reason,
        from_status=claim.status,
        evidence_version=claim.evidence_version,
        overrides=overrides,
        hallmarks=snapshot,
        # The custody chain's head this decision saw: removing an event later breaks verification.
        custody_count=lot.custody_count,
        custody_head_hash=lot.custody_head_hash,
    )
    if target == ClaimStatus.APPROVED:
        Lot.objects.filter(pk=lot.pk, claims__pk=claim.pk, claims__status=ClaimStatus.APPROVED).update(
            verified_badge=claim.kind
        )
    elif claim.status == ClaimStatus.APPROVED:
        Lot.objects.filter(pk=lot.pk, verified_badge=claim.kind).update(verified_badge="")
    audit_log(
        actor=by,
        action=f"claim.{decision}",
        target=claim,
        data={
            "lot": lot.pk,
            "from": claim.status,
            "to": target,
            "reason": reason,
            "evidence_version": claim.evidence_version,
            "decision": record.pk,
            "hallmarks": {f.key: f.result for f in findings},
            "overrides": overrides,
            "custody_count": lot.custody_count,
            "custody_head_hash": lot.custody_head_hash,
        },
    )
    notify(
        recipient=claim.producer,
        kind="claim_decision",
        message=_("Your %(kind)s claim for %(lot)s: %(decision)s. Reason: %(reason)s")
        % {
            "kind": claim.get_kind_display(),
            "lot": lot.name,
            "decision": Decision(decision).label,
            "reason": reason,
        },
        url=reverse("moderation:claim", args=[claim.pk]),
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

    An approved claim on which a hallmark now fails that its approval did not override (a premium
    recomputed against a new baseline, say) is re-opened and loses its badge: a verified lot never
    shows a failing hallmark nobody accounted for.

    Returns "computed", "reopened", "superseded" (evidence changed meanwhile: the run queued by that
    change will write) or "gone".
    """
    claim = MicroLotClaim.objects.filter(pk=claim_id).first()
    if claim is None:
        return "gone"
    version = claim.evidence_version
    findings = hallmarks.evaluate_translated(evidence.gather(claim=claim))
    now = timezone.now()
    with transaction.atomic():
        # Lot before claim, as everywhere (the re-open below writes the lot's badge).
        Lot.objects.select_for_update().filter(pk=claim.lot_id).first()
        locked = MicroLotClaim.objects.select_for_update().filter(pk=claim_id).first()
        if locked is None:
            return "gone"
        if locked.evidence_version != version:
            return "superseded"
        _store_findings(claim_id=claim_id, findings=findings, version=version, now=now)
        if locked.status == ClaimStatus.APPROVED:
            overridden = approval_overrides(locked)
            unaccounted = [f.key for f in findings if f.result == HallmarkOutcome.FAIL and f.key not in overridden]
            if unaccounted:
                _reopen_for_failing(claim=locked, keys=unaccounted, now=now)
                return "reopened"
    return "computed"


def _reopen_for_failing(*, claim: MicroLotClaim, keys: list[str], now: Any) -> None:
    """Back to the queue without the badge: a hallmark fails that the approval did not override."""
    detail = "hallmarks now failing: " + ", ".join(keys)  # stored for every reader: codes, not prose
    MicroLotClaim.objects.filter(pk=claim.pk, status=ClaimStatus.APPROVED).update(
        status=ClaimStatus.PENDING, waiting_since=now, reopened_count=F("reopened_count") + 1
    )
    Lot.objects.filter(pk=claim.lot_id, verified_badge=claim.kind).update(verified_badge="")
    EvidenceChange.objects.create(
        claim=claim, kind="hallmarks", detail=detail[:500], reopened=True, evidence_version=claim.evidence_version
    )
    audit_log(
        actor=None,
        action="claim.reopened",
        target=claim,
        data={"lot": claim.lot_id, "kind": "hallmarks", "failing": keys, "evidence_version": claim.evidence_version},
    )
    notify(
        recipient=claim.producer,
        kind="claim_reopened",
        message=_(
            "A hallmark of your verified lot now fails (%(list)s); the badge is paused until a moderator reviews it "
            "again."
        )
        % {"list": _hallmark_names(keys)},
        url=reverse("moderation:claim", args=[claim.pk]),
        dedupe_key=f"claim-reopened-{claim.pk}-{claim.evidence_version}-hallmarks-{claim.reopened_count}",
    )


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
