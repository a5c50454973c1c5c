"""Writes for cupping: requests, sheets, green gradings, signed originals, official scores.
(The CSV session import lives in ``cupping.imports``.)

Official score rule (what the catalogue shows on ``Lot.official_score`` with
``Lot.official_score_protocol``): per protocol, each grader's latest active *counting* sheet of the
lot's current harvest (``Lot.harvest_year``; a sheet keeps the harvest it was cupped for) counts
once; the mean, the number of graders and the spread (max − min) are kept in ``LotScore``.

A sheet counts when it was declared independent, its grader is not the lot's producer, and the
grader's licence is verified by a moderator *now* and was valid on the cupping date; a licence
whose verification is withdrawn, or that had expired on the cupping date, never counts, whatever
the sheet stored when it was entered (``counting_sheets`` filters on the live licence, and a
licence change re-assesses the stored flags, ``sheets_reassess_for_grader``).

The lot's primary score (the one cached on Lot) is SCA 2004 if the lot has one, else CVA, else
CoE (``scoring.PRIMARY_ORDER``). Scores of different protocols are never averaged together.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.errors import Conflict
from core.images import BadImage, check_pdf, sanitize_image
from core.services import audit_log, notify
from core.signals import send_evidence_changed
from cupping import scoring
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading, LotScore, SheetStatus
from lots.models import PUBLIC_STATUSES, Lot

CENT = Decimal("0.01")

# Reason codes a sheet is not independent (shown with INDEPENDENCE_LABELS).
NOT_DECLARED = "not_declared"
NO_LICENCE = "no_licence"
LICENCE_UNVERIFIED = "licence_unverified"
LICENCE_EXPIRED = "licence_expired"
OWN_LOT = "own_lot"
ACCOUNT_INACTIVE = "account_inactive"


def independence_check(*, grader: Any, lot: Lot, cupped_on: datetime.date, declared: bool) -> list[str]:
    """Every reason a sheet is NOT independent; an empty list means it counts.

    Independent = declared free of employment/ownership ties AND a moderator-verified licence
    valid on the cupping date AND the grader is not the lot's producer (and the account active).
    """
    reasons = []
    if not declared:
        reasons.append(NOT_DECLARED)
    profile = getattr(grader, "q_grader_profile", None)
    if not getattr(grader, "is_active", True):
        reasons.append(ACCOUNT_INACTIVE)
    if profile is None:
        reasons.append(NO_LICENCE)
    elif not profile.licence_verified:
        reasons.append(LICENCE_UNVERIFIED)
    elif not profile.licence_valid_on(cupped_on):
        reasons.append(LICENCE_EXPIRED)
    if grader.pk == lot.producer_id:
        reasons.append(OWN_LOT)
    return reasons


def _require_grader(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or user.role != Role.Q_GRADER:
        raise PermissionDenied(_("Only Q-graders can do this."))


def may_take_open_requests(grader: Any) -> bool:
    """Only an active Q-grader whose licence a moderator verified and that has not expired today
    may take a request open to any grader (or see the private lot it opens)."""
    if not getattr(grader, "is_active", False) or getattr(grader, "role", None) != Role.Q_GRADER:
        return False
    profile = getattr(grader, "q_grader_profile", None)
    return profile is not None and profile.licence_valid_on(timezone.localdate())


def requests_open_to(grader: Any) -> Q:
    """Cupping requests that open a non-public lot to this grader: open to or accepted by them, or
    open to all when they may take open requests (an active, verified, unexpired licence)."""
    live = Q(status__in=[CuppingRequest.Status.OPEN, CuppingRequest.Status.ACCEPTED])
    mine = Q(grader_id=getattr(grader, "pk", None))
    if may_take_open_requests(grader):
        mine |= Q(grader__isnull=True, status=CuppingRequest.Status.OPEN)
    return live & mine


def _lot_open_to(grader: Any, lot: Lot) -> bool:
    """A grader may cup a public lot, or a lot with a cupping request open to or accepted by them."""
    if lot.status in PUBLIC_STATUSES:
        return True
    return CuppingRequest.objects.filter(requests_open_to(grader), lot=lot).exists()


# --- Requests ------------------------------------------------------------------------------


def request_create(*, lot: Lot, by: Any, grader: Any = None, protocol: str = "", note: str = "") -> CuppingRequest:
    if not getattr(by, "is_authenticated", False) or lot.producer_id != by.pk:
        raise PermissionDenied(_("Only the lot's producer can ask for it to be cupped."))
    errors: dict[str, list[str]] = {}
    if grader is not None:
        profile = getattr(grader, "q_grader_profile", None)
        if grader.role != Role.Q_GRADER or profile is None or not profile.licence_verified:
            errors["grader"] = [_("Choose a Q-grader whose licence is verified.")]
    if protocol and protocol not in scoring.PROTOCOLS:
        errors["protocol"] = [_("Choose sca2004, cva or coe.")]
    if lot.status == "withdrawn":
        errors["lot"] = [_("This lot is withdrawn.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        req = CuppingRequest.objects.create(
            lot=lot, requested_by=by, grader=grader, protocol=protocol, note=note.strip()[:2000]
        )
        audit_log(actor=by, action="cupping.request_created", target=req, data={"grader": getattr(grader, "pk", None)})
        if grader is not None:
            notify(
                recipient=grader,
                kind="cupping_request",
                message=_("%(producer)s asks you to cup lot %(lot)s.") % {"producer": by, "lot": lot},
                url=reverse("cupping:queue"),
                dedupe_key=f"cupping-request-{req.pk}",
            )
    return req


def request_accept(*, request_id: int, by: Any) -> CuppingRequest:
    """Take a request. A conditional UPDATE, so two graders racing for an open request: one wins."""
    _require_grader(by)
    profile = getattr(by, "q_grader_profile", None)
    if profile is None or not profile.licence_verified:
        raise PermissionDenied(_("Your licence must be verified by a moderator first."))
    if not may_take_open_requests(by):
        raise PermissionDenied(_("Your licence has expired; renew it before taking cupping requests."))
    with transaction.atomic():
        changed = (
            CuppingRequest.objects.filter(pk=request_id, status=CuppingRequest.Status.OPEN)
            .filter(Q(grader__isnull=True) | Q(grader=by))
            .update(grader=by, status=CuppingRequest.Status.ACCEPTED, updated_at=timezone.now())
        )
        req = CuppingRequest.objects.filter(pk=request_id).first()
        if req is None:
            raise ValidationError({"request": [_("No such request.")]})
        if not changed:
            if req.status == CuppingRequest.Status.ACCEPTED and req.grader_id == by.pk:
                return req  # already ours: accepting twice is harmless
            raise Conflict(_("This request was taken or closed in the meantime."))
        audit_log(actor=by, action="cupping.request_accepted", target=req)
    return req


def request_cancel(*, request_id: int, by: Any) -> CuppingRequest:
    with transaction.atomic():
        req = CuppingRequest.objects.select_for_update().filter(pk=request_id).first()
        if req is None or req.requested_by_id != getattr(by, "pk", None):
            raise PermissionDenied(_("Only the producer who asked can cancel this request."))
        if req.status == CuppingRequest.Status.CANCELLED:
            return req
        if req.status == CuppingRequest.Status.COMPLETED:
            raise Conflict(_("This request is already completed."))
        req.status = CuppingRequest.Status.CANCELLED
        req.save(update_fields=["status", "updated_at"])
        audit_log(actor=by, action="cupping.request_cancelled", target=req)
    return req


# --- Sheets --------------------------------------------------------------------------------


def sheet_build(
    *,
    grader: Any,
    lot: Lot,
    protocol: str,
    cupped_on: datetime.date | None,
    independent: bool,
    values: dict[str, Any],
    notes: str = "",
    descriptor_notes: str = "",
    entered_by: Any = None,
) -> tuple[CuppingSheet | None, dict[str, list[str]]]:
    """Validate and compute an unsaved sheet; (None, errors per field) when anything is wrong."""
    errors: dict[str, list[str]] = {}
    if protocol not in scoring.PROTOCOLS:
        errors["protocol"] = [_("Choose sca2004, cva or coe.")]
        return None, errors
    parsed = scoring.parse_sheet(protocol, values)
    errors.update(parsed.errors)
    today = timezone.localdate()
    if cupped_on is None:
        errors.setdefault("cupped_on", []).append(_("Enter the cupping date."))
    elif cupped_on > today:
        errors.setdefault("cupped_on", []).append(_("The cupping date cannot be in the future."))
    if not _lot_open_to(grader, lot):
        errors.setdefault("lot", []).append(_("This lot is not open for cupping."))
    if len(notes) > 5000:
        errors.setdefault("notes", []).append(_("At most 5,000 characters."))
    if len(descriptor_notes) > 2000:
        errors.setdefault("descriptor_notes", []).append(_("At most 2,000 characters."))
    if errors:
        return None, errors
    assert cupped_on is not None
    result = scoring.score(protocol, parsed.values)
    reasons = independence_check(grader=grader, lot=lot, cupped_on=cupped_on, declared=bool(independent))
    sheet = CuppingSheet(
        lot=lot,
        grader=grader,
        entered_by=entered_by or grader,
        protocol=protocol,
        form_version=scoring.FORM_VERSIONS[protocol],
        cupped_on=cupped_on,
        harvest_year=lot.harvest_year,
        independent_declared=bool(independent),
        independent=not reasons,
        independence_reasons=reasons,
        notes=notes,
        descriptor_notes=descriptor_notes,
        total=result.total,
        defects=result.defects,
        final_score=result.final,
    )
    for name, value in parsed.values.items():
        setattr(sheet, name, value)
    return sheet, {}


def _sheet_saved(
    sheet: CuppingSheet, *, actor: Any, request: CuppingRequest | None = None, signal: bool = True
) -> None:
    """What follows every new sheet, inside its transaction.

    An import passes ``signal=False`` and sends one evidence_changed per lot instead, so a
    session of hundreds of sheets does not fan out into hundreds of recomputations elsewhere."""
    if request is None:
        request = (
            CuppingRequest.objects.filter(
                lot_id=sheet.lot_id,
                grader_id=sheet.grader_id,
                status__in=[CuppingRequest.Status.OPEN, CuppingRequest.Status.ACCEPTED],
            )
            .order_by("created_at")
            .first()
        )
    if request is not None and request.status in (CuppingRequest.Status.OPEN, CuppingRequest.Status.ACCEPTED):
        CuppingRequest.objects.filter(pk=request.pk).update(
            status=CuppingRequest.Status.COMPLETED, grader=sheet.grader, updated_at=timezone.now()
        )
        sheet.request_id = request.pk
        sheet.save(update_fields=["request"])
        notify(
            recipient=request.requested_by,
            kind="cupping_sheet",
            message=_("Lot %(lot)s was cupped: %(score)s.")
            % {"lot": sheet.lot, "score": scoring.score_label(sheet.protocol, sheet.final_score)},
            url=reverse("cupping:sheet", args=[sheet.pk]),
            dedupe_key=f"cupping-request-done-{request.pk}",
        )
    audit_log(
        actor=actor,
        action="cupping.sheet_submitted",
        target=sheet,
        data={"lot": sheet.lot_id, "protocol": sheet.protocol, "final_score": str(sheet.final_score)},
    )
    if signal:
        send_evidence_changed(
            sender=CuppingSheet,
            lot_id=sheet.lot_id,
            kind="cupping_sheet",
            detail=f"{sheet.protocol} sheet {sheet.final_score} added",
            actor=actor,
        )


def sheet_submit(
    *,
    grader: Any,
    lot: Lot,
    protocol: str,
    cupped_on: datetime.date | None,
    independent: bool,
    values: dict[str, Any],
    notes: str = "",
    descriptor_notes: str = "",
    request: CuppingRequest | None = None,
) -> CuppingSheet:
    _require_grader(grader)
    sheet, errors = sheet_build(
        grader=grader,
        lot=lot,
        protocol=protocol,
        cupped_on=cupped_on,
        independent=independent,
        values=values,
        notes=notes,
        descriptor_notes=descriptor_notes,
    )
    if sheet is None:
        raise ValidationError(errors)
    with transaction.atomic():
        sheet.save()
        _sheet_saved(sheet, actor=grader, request=request)
        lot_score_recompute(lot_id=lot.pk, actor=grader)
    return sheet


def sheet_withdraw(*, sheet_id: int, by: Any, reason: str) -> CuppingSheet:
    """The grader (or a moderator) withdraws a sheet; it stops counting at once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the sheet is withdrawn.")]})
    with transaction.atomic():
        sheet = CuppingSheet.objects.select_for_update().filter(pk=sheet_id).first()
        if sheet is None:
            raise ValidationError({"sheet": [_("No such sheet.")]})
        if not (getattr(by, "is_moderator", False) or sheet.grader_id == getattr(by, "pk", None)):
            raise PermissionDenied(_("Only the grader or a moderator can withdraw this sheet."))
        if sheet.status == SheetStatus.WITHDRAWN:
            return sheet
        sheet.status = SheetStatus.WITHDRAWN
        sheet.withdrawn_at = timezone.now()
        sheet.withdrawn_reason = reason[:500]
        sheet.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])
        audit_log(actor=by, action="cupping.sheet_withdrawn", target=sheet, data={"reason": sheet.withdrawn_reason})
        send_evidence_changed(
            sender=CuppingSheet, lot_id=sheet.lot_id, kind="cupping_sheet", detail="sheet withdrawn", actor=by
        )
        lot_score_recompute(lot_id=sheet.lot_id, actor=by)
    return sheet


def sheet_attach_original(*, sheet_id: int, by: Any, data: bytes, filename: str = "") -> CuppingSheet:
    """Store the signed paper original: an image re-encoded by the sanitizer, or a checked PDF."""
    sheet = CuppingSheet.objects.filter(pk=sheet_id).first()
    if sheet is None:
        raise ValidationError({"file": [_("No such sheet.")]})
    if sheet.grader_id != getattr(by, "pk", None):
        raise PermissionDenied(_("Only the grader who signed the sheet can attach its original."))
    try:
        if data[:5] == b"%PDF-":
            check_pdf(data)
            stored, content_type, name = data, "application/pdf", "original.pdf"
        else:
            stored, content_type, name = sanitize_image(data).data, "image/jpeg", "original.jpg"
    except BadImage as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    digest = hashlib.sha256(stored).hexdigest()
    with transaction.atomic():
        locked = CuppingSheet.objects.select_for_update().get(pk=sheet.pk)
        old = locked.original.name if locked.original else ""
        locked.original.save(name, ContentFile(stored), save=False)
        locked.original_sha256 = digest
        locked.original_content_type = content_type
        locked.save(update_fields=["original", "original_sha256", "original_content_type"])
        audit_log(
            actor=by,
            action="cupping.original_attached",
            target=locked,
            data={"sha256": digest, "content_type": content_type, "replaced": bool(old)},
        )
        send_evidence_changed(
            sender=CuppingSheet,
            lot_id=locked.lot_id,
            kind="cupping_sheet",
            detail="signed original attached",
            actor=by,
        )
    return locked


# --- Green grading -------------------------------------------------------------------------


def grading_submit(
    *, grader: Any, lot: Lot, graded_on: datetime.date | None, data: dict[str, Any], notes: str = ""
) -> GreenGrading:
    _require_grader(grader)
    parsed = scoring.parse_grading(data)
    errors = dict(parsed.errors)
    if graded_on is None:
        errors.setdefault("graded_on", []).append(_("Enter the grading date."))
    elif graded_on > timezone.localdate():
        errors.setdefault("graded_on", []).append(_("The grading date cannot be in the future."))
    if not _lot_open_to(grader, lot):
        errors.setdefault("lot", []).append(_("This lot is not open for grading."))
    if errors:
        raise ValidationError(errors)
    assert graded_on is not None
    v = parsed.values
    result = scoring.grade(
        counts=v["defects"],
        quakers=v["quakers"],
        moisture_pct=v["moisture_pct"],
        water_activity=v["water_activity"],
        sample_grams=v["sample_grams"],
        process=lot.process,
    )
    with transaction.atomic():
        report = GreenGrading.objects.create(
            lot=lot,
            grader=grader,
            graded_on=graded_on,
            rulebook=result.rulebook,
            process=lot.process,
            grade_class=result.grade_class,
            warnings=result.warnings,
            sample_grams=v["sample_grams"],
            defect_counts=v["defects"],
            full_defects=result.full_defects,
            category1_defects=result.category1,
            category2_defects=result.category2,
            quakers=v["quakers"],
            moisture_pct=v["moisture_pct"],
            water_activity=v["water_activity"],
            screen_size=v.get("screen_size"),
            screen_off_pct=v.get("screen_off_pct"),
            specialty=result.specialty,
            reasons=result.reasons,
            notes=notes[:5000],
        )
        audit_log(
            actor=grader,
            action="cupping.grading_submitted",
            target=report,
            data={
                "lot": lot.pk,
                "rulebook": result.rulebook,
                "grade": result.grade_class,
                "specialty": result.specialty,
                "reasons": result.reasons,
                "warnings": result.warnings,
            },
        )
        send_evidence_changed(
            sender=GreenGrading,
            lot_id=lot.pk,
            kind="green_grading",
            detail=f"green grading added ({'specialty' if result.specialty else 'not specialty'})",
            actor=grader,
        )
    return report


def grading_withdraw(*, grading_id: int, by: Any, reason: str) -> GreenGrading:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the report is withdrawn.")]})
    with transaction.atomic():
        report = GreenGrading.objects.select_for_update().filter(pk=grading_id).first()
        if report is None:
            raise ValidationError({"grading": [_("No such report.")]})
        if not (getattr(by, "is_moderator", False) or report.grader_id == getattr(by, "pk", None)):
            raise PermissionDenied(_("Only the grader or a moderator can withdraw this report."))
        if report.status == SheetStatus.WITHDRAWN:
            return report
        report.status = SheetStatus.WITHDRAWN
        report.withdrawn_at = timezone.now()
        report.withdrawn_reason = reason[:500]
        report.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])
        audit_log(actor=by, action="cupping.grading_withdrawn", target=report, data={"reason": reason[:500]})
        send_evidence_changed(
            sender=GreenGrading, lot_id=report.lot_id, kind="green_grading", detail="report withdrawn", actor=by
        )
    return report


# --- Official score ------------------------------------------------------------------------


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def counting_sheets(*, lot_id: int, harvest_year: int) -> QuerySet[CuppingSheet]:
    """The sheets that count for a lot's official score: active, of this harvest, declared and
    stored independent, and — checked live, not trusted from the stored flag — by an active grader
    who is not the lot's producer, whose licence is verified now and was valid on the cupping day."""
    return (
        CuppingSheet.objects.filter(
            lot_id=lot_id,
            status=SheetStatus.ACTIVE,
            independent=True,
            harvest_year=harvest_year,
            grader__is_active=True,
            grader__role=Role.Q_GRADER,
            grader__q_grader_profile__licence_verified_at__isnull=False,
            grader__q_grader_profile__licence_expires_on__gte=F("cupped_on"),
        )
        .exclude(grader_id=F("lot__producer_id"))
        .order_by("cupped_on", "id")
    )


def aggregate_sheets(sheets: Iterable[Any], *, harvest_year: int) -> dict[str, dict[str, Any]]:
    """Per protocol: mean, graders, spread and attribute means of sheets already known to count
    (pure: the import preview feeds it unsaved sheets). Sheets must come oldest first."""
    out: dict[str, dict[str, Any]] = {}
    ordered = list(sheets)
    for protocol in scoring.PROTOCOLS:
        by_grader: dict[int, Any] = {}
        for sheet in ordered:
            if sheet.protocol == protocol:
                by_grader[sheet.grader_id] = sheet  # oldest first: the grader's latest wins
        if not by_grader:
            continue
        finals = [s.final_score for s in by_grader.values()]
        attrs = [s.attributes() for s in by_grader.values()]
        out[protocol] = {
            "harvest_year": harvest_year,
            "mean": _mean(finals),
            "graders": len(by_grader),
            "spread": (max(finals) - min(finals)).quantize(CENT),
            "attribute_means": {
                name: str(_mean([a[name] for a in attrs])) for name in scoring.attribute_names(protocol)
            },
        }
    return out


def lot_score_compute(lot_id: int, harvest_year: int) -> dict[str, dict[str, Any]]:
    """Per protocol: mean, graders, spread and attribute means (pure read, no writes)."""
    return aggregate_sheets(counting_sheets(lot_id=lot_id, harvest_year=harvest_year), harvest_year=harvest_year)


def catalogue_protocol(scores: dict[str, Any]) -> str | None:
    """The lot's primary protocol: SCA 2004 if it has one, else CVA, else CoE (never a mix)."""
    return next((p for p in scoring.PRIMARY_ORDER if p in scores), None)


def lot_score_recompute(*, lot_id: int, actor: Any = None) -> Lot | None:
    """Rebuild the lot's LotScore rows and the denormalised catalogue score, under the lot lock."""
    with transaction.atomic():
        lot = Lot.objects.select_for_update().filter(pk=lot_id).first()
        if lot is None:
            return None
        scores = lot_score_compute(lot_id, lot.harvest_year)
        winner = catalogue_protocol(scores)
        before = {r.protocol: (r.mean, r.graders, r.harvest_year) for r in LotScore.objects.filter(lot_id=lot_id)}
        after = {p: (d["mean"], d["graders"], d["harvest_year"]) for p, d in scores.items()}
        for protocol, data in scores.items():
            LotScore.objects.update_or_create(
                lot_id=lot_id, protocol=protocol, defaults={**data, "is_catalogue_score": protocol == winner}
            )
        LotScore.objects.filter(lot_id=lot_id).exclude(protocol__in=list(scores)).delete()
        new_score = scores[winner]["mean"] if winner else None
        new_protocol = winner or ""
        old_score, old_protocol = lot.official_score, lot.official_score_protocol
        if (old_score, old_protocol) != (new_score, new_protocol):
            # Conditional on the values read under the lock: a write that bypassed the lock shows.
            changed = Lot.objects.filter(
                pk=lot_id, official_score=old_score, official_score_protocol=old_protocol
            ).update(official_score=new_score, official_score_protocol=new_protocol)
            if not changed:
                raise Conflict(_("The lot's score changed in the meantime; try again."))
            audit_log(
                actor=actor,
                action="cupping.official_score_changed",
                target=lot,
                data={"from": [str(old_score), old_protocol], "to": [str(new_score), new_protocol]},
            )
            send_evidence_changed(
                sender=LotScore,
                lot_id=lot_id,
                kind="score",
                detail=f"official score {old_score or '—'} → {new_score or '—'} {new_protocol}".strip(),
                actor=actor,
            )
            lot.official_score, lot.official_score_protocol = new_score, new_protocol
        elif before != after:
            # Only a secondary protocol's score moved: the lot page and hallmarks still show it.
            send_evidence_changed(
                sender=LotScore,
                lot_id=lot_id,
                kind="score",
                detail="per-protocol scores " + ", ".join(f"{p} {after[p][0]}" for p in sorted(after)),
                actor=actor,
            )
    return lot


# --- Licence changes -----------------------------------------------------------------------


def sheets_reassess_for_grader(*, grader_id: int) -> list[int]:
    """Re-check the independence of every active sheet of a grader after their licence (or account)
    changed, and rebuild the score of each lot whose sheets changed. Idempotent; returns those lots.

    A withdrawn verification makes the grader's sheets stop counting at once (``counting_sheets``
    already ignores them); this also corrects the stored flag other apps read."""
    grader = User.objects.filter(pk=grader_id).select_related("q_grader_profile").first()
    if grader is None:
        return []
    changed_lots: set[int] = set()
    sheets = CuppingSheet.objects.filter(grader_id=grader_id, status=SheetStatus.ACTIVE).select_related("lot")
    for sheet in sheets.iterator():
        reasons = independence_check(
            grader=grader, lot=sheet.lot, cupped_on=sheet.cupped_on, declared=sheet.independent_declared
        )
        if (sheet.independent, sheet.independence_reasons) == (not reasons, reasons):
            continue
        with transaction.atomic():
            updated = CuppingSheet.objects.filter(pk=sheet.pk, status=SheetStatus.ACTIVE).update(
                independent=not reasons, independence_reasons=reasons
            )
            if updated:
                audit_log(
                    actor=None,
                    action="cupping.sheet_independence_changed",
                    target=sheet,
                    data={"independent": not reasons, "reasons": reasons},
                )
                changed_lots.add(sheet.lot_id)
    # Every lot the grader cupped: counting_sheets reads the live licence, so a change of
    # verification moves these scores even where no stored flag changed.
    lot_ids = set(
        CuppingSheet.objects.filter(grader_id=grader_id, status=SheetStatus.ACTIVE).values_list("lot_id", flat=True)
    )
    for lot_id in sorted(lot_ids | changed_lots):
        lot_score_recompute(lot_id=lot_id)
    return sorted(changed_lots)
