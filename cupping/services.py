"""Writes for cupping: requests, sheets, green gradings, signed originals, imports, official scores.

Official score rule (what the catalogue shows on ``Lot.official_score``): per protocol, each
grader's latest active *independent* sheet of the lot's current harvest (``Lot.harvest_year``; a
sheet keeps the harvest it was cupped for) counts once; the mean, the number
of graders and the spread (max − min) are kept in ``LotScore``. The catalogue shows the protocol
with MORE independent graders; on a tie, ``sca2004`` wins (it is still the lingua franca of offer
lists, DOMAIN.md §1). Scores of different protocols are never averaged together.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.errors import Conflict
from core.images import BadImage, check_pdf, sanitize_image
from core.models import Job
from core.services import audit_log, job_create, job_finish, job_progress, notify
from core.signals import send_evidence_changed
from cupping import conf, scoring
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading, LotScore, SheetStatus
from lots.models import PUBLIC_STATUSES, Lot

CENT = Decimal("0.01")

# Reason codes a sheet is not independent (shown with INDEPENDENCE_LABELS).
NOT_DECLARED = "not_declared"
NO_LICENCE = "no_licence"
LICENCE_UNVERIFIED = "licence_unverified"
LICENCE_EXPIRED = "licence_expired"
OWN_LOT = "own_lot"


def independence_check(*, grader: Any, lot: Lot, cupped_on: datetime.date, declared: bool) -> list[str]:
    """Every reason a sheet is NOT independent; an empty list means it counts.

    Independent = declared free of employment/ownership ties AND a moderator-verified licence
    valid on the cupping date AND the grader is not the lot's producer.
    """
    reasons = []
    if not declared:
        reasons.append(NOT_DECLARED)
    profile = getattr(grader, "q_grader_profile", None)
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


def _lot_open_to(grader: Any, lot: Lot) -> bool:
    """A grader may cup a public lot, or any lot with a live request for them (or open to all)."""
    if lot.status in PUBLIC_STATUSES:
        return True
    return CuppingRequest.objects.filter(
        Q(grader=grader) | Q(grader__isnull=True),
        lot=lot,
        status__in=[CuppingRequest.Status.OPEN, CuppingRequest.Status.ACCEPTED],
    ).exists()


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
        errors["protocol"] = [_("Choose sca2004 or cva.")]
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
        errors["protocol"] = [_("Choose sca2004 or cva.")]
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
            message=_("Lot %(lot)s was cupped: %(score)s (%(protocol)s).")
            % {"lot": sheet.lot, "score": sheet.final_score, "protocol": sheet.protocol},
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
        screen_off_pct=v.get("screen_off_pct"),
    )
    with transaction.atomic():
        report = GreenGrading.objects.create(
            lot=lot,
            grader=grader,
            graded_on=graded_on,
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
            data={"lot": lot.pk, "specialty": result.specialty, "reasons": result.reasons},
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


def lot_score_compute(lot_id: int, harvest_year: int) -> dict[str, dict[str, Any]]:
    """Per protocol: mean, graders, spread and attribute means (pure read, no writes)."""
    sheets = list(
        CuppingSheet.objects.filter(
            lot_id=lot_id, status=SheetStatus.ACTIVE, independent=True, harvest_year=harvest_year
        ).order_by("cupped_on", "id")
    )
    out: dict[str, dict[str, Any]] = {}
    for protocol in scoring.PROTOCOLS:
        by_grader: dict[int, CuppingSheet] = {}
        for sheet in sheets:
            if sheet.protocol == protocol:
                by_grader[sheet.grader_id] = sheet  # ordered by date: the grader's latest wins
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


def catalogue_protocol(scores: dict[str, dict[str, Any]]) -> str | None:
    """More independent graders wins; a tie goes to sca2004."""
    if not scores:
        return None
    return max(scores, key=lambda p: (scores[p]["graders"], p == scoring.SCA2004))


def lot_score_recompute(*, lot_id: int, actor: Any = None) -> Lot | None:
    """Rebuild the lot's LotScore rows and the denormalised catalogue score, under the lot lock."""
    with transaction.atomic():
        lot = Lot.objects.select_for_update().filter(pk=lot_id).first()
        if lot is None:
            return None
        scores = lot_score_compute(lot_id, lot.harvest_year)
        winner = catalogue_protocol(scores)
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
    return lot


# --- Bulk import ---------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "lot",
    "grader",
    "protocol",
    "cupped_on",
    "independent",
    "fragrance_aroma",
    "fragrance",
    "aroma",
    "flavor",
    "aftertaste",
    "acidity",
    "body",
    "balance",
    "sweetness",
    "mouthfeel",
    "overall",
    "uniform_cups",
    "clean_cups",
    "sweet_cups",
    "taint_cups",
    "fault_cups",
    "non_uniform_cups",
    "defective_cups",
    "notes",
)
REQUIRED_COLUMNS = ("lot", "protocol", "cupped_on", "independent")
TRUE_WORDS = {"1", "true", "yes", "y", "si", "sí", "sim", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "não", "nao", ""}


def import_template_csv() -> str:
    """A template with the header and one example row per protocol."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=IMPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    common = {"lot": "123", "grader": "", "cupped_on": timezone.localdate().isoformat(), "independent": "yes"}
    sca = dict.fromkeys(scoring.SCA_QUALITY, "7.75") | {
        "protocol": "sca2004",
        "uniform_cups": "5",
        "clean_cups": "5",
        "sweet_cups": "5",
        "taint_cups": "0",
        "fault_cups": "0",
        "notes": "jasmine, bergamot",
    }
    cva = dict.fromkeys(scoring.CVA_AFFECTIVE, "7") | {
        "protocol": "cva",
        "non_uniform_cups": "0",
        "defective_cups": "0",
        "notes": "stone fruit",
    }
    writer.writerow(common | sca)
    writer.writerow(common | cva)
    return out.getvalue()


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [_("The file must be UTF-8 encoded CSV.")]}) from exc


def cupping_import_start(*, by: Any, data: bytes | str) -> Job:
    """Check the upload's shape, record a Job, and run the import in the background after commit."""
    _require_grader(by)
    raw = data.encode() if isinstance(data, str) else data
    if not raw.strip():
        raise ValidationError({"file": [_("The file is empty.")]})
    if len(raw) > conf.import_max_bytes():
        raise ValidationError(
            {"file": [_("The file is larger than %(kb)d KB.") % {"kb": conf.import_max_bytes() // 1024}]}
        )
    text = _decode(data)
    if "\x00" in text:
        raise ValidationError({"file": [_("The file must be UTF-8 encoded CSV.")]})
    from cupping.tasks import run_cupping_import

    with transaction.atomic():
        job = job_create(kind="cupping_import", owner=by, params={"csv": text})
        audit_log(actor=by, action="cupping.import_started", target=job, data={"bytes": len(raw)})
        run_cupping_import.delay_on_commit(str(job.pk))
    return job


def _bool_cell(raw: str) -> bool | None:
    word = (raw or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def import_validate(text: str, *, uploader: Any, job_id: Any = None) -> tuple[list[CuppingSheet], list[dict[str, Any]]]:
    """Parse and validate every row; (sheets ready to save, errors as {row, column, message})."""
    errors: list[dict[str, Any]] = []

    def err(row: int, column: str, message: Any) -> None:
        errors.append({"row": row, "column": column, "message": str(message)})

    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    for name in REQUIRED_COLUMNS:
        if name not in header:
            err(1, name, _("This column is missing."))
    for name in header:
        if name not in IMPORT_COLUMNS:
            err(1, name or "?", _("Unknown column."))
    if errors:
        return [], errors
    rows = list(reader)
    if not rows:
        err(1, "", _("The file has no data rows."))
        return [], errors
    if len(rows) > conf.import_max_rows():
        err(1, "", _("At most %(n)d rows per file.") % {"n": conf.import_max_rows()})
        return [], errors
    lot_ids = {int(r["lot"]) for r in rows if (r.get("lot") or "").strip().isdigit()}
    lots = {lot.pk: lot for lot in Lot.objects.filter(pk__in=lot_ids)}
    emails = {(r.get("grader") or "").strip().lower() for r in rows} - {""}
    graders = {
        u.email.lower(): u
        for u in User.objects.filter(email__in=emails, role=Role.Q_GRADER).select_related("q_grader_profile")
    }
    uploader = User.objects.select_related("q_grader_profile").get(pk=uploader.pk)
    sheets: list[CuppingSheet] = []
    every = conf.import_progress_every()
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        if None in row:
            err(line, "", _("This row has more cells than the header."))
            continue
        cells = {k: (v or "").strip() for k, v in row.items()}
        lot = lots.get(int(cells["lot"])) if cells.get("lot", "").isdigit() else None
        if lot is None:
            err(line, "lot", _("No lot with this number."))
        email = cells.get("grader", "").lower()
        grader = graders.get(email) if email else uploader
        if grader is None:
            err(line, "grader", _("No Q-grader with this e-mail address."))
        protocol = cells.get("protocol", "")
        if protocol not in scoring.PROTOCOLS:
            err(line, "protocol", _("Choose sca2004 or cva."))
        cupped_on = None
        try:
            cupped_on = datetime.date.fromisoformat(cells.get("cupped_on", ""))
        except ValueError:
            err(line, "cupped_on", _("Enter a date as YYYY-MM-DD."))
        independent = _bool_cell(cells.get("independent", ""))
        if independent is None:
            err(line, "independent", _("Enter yes or no."))
        if protocol in scoring.PROTOCOLS:
            own = scoring.SCA_FIELDS if protocol == scoring.SCA2004 else scoring.CVA_FIELDS
            for column in header:
                if column in scoring.SCA_FIELDS + scoring.CVA_FIELDS and column not in own and cells.get(column):
                    err(line, column, _("Leave this empty for protocol %(protocol)s.") % {"protocol": protocol})
        if lot is not None and grader is not None and protocol in scoring.PROTOCOLS:
            values = {k: v for k, v in cells.items() if k in scoring.SCA_FIELDS + scoring.CVA_FIELDS}
            sheet, problems = sheet_build(
                grader=grader,
                lot=lot,
                protocol=protocol,
                cupped_on=cupped_on,
                independent=bool(independent),
                values=values,
                notes=cells.get("notes", ""),
                entered_by=uploader,
            )
            for column, messages in problems.items():
                if column == "cupped_on" and cupped_on is None:
                    continue  # already reported as a bad date
                for message in messages:
                    err(line, column, message)
            if sheet is not None:
                sheet.import_job = job_id
                sheet.import_row = line
                sheets.append(sheet)
        if job_id is not None and (index + 1) % every == 0:
            job_progress(job_id=job_id, done=index + 1, total=len(rows))
    return sheets, errors


def _notify_named_graders(job: Job, *, uploader: Any) -> None:
    """Tell every grader a sheet was entered for in their name, so a false entry is seen (and can
    be withdrawn by them). Once per job and grader, so a rerun sends nothing new."""
    counts: dict[int, int] = {}
    for grader_id in (
        CuppingSheet.objects.filter(import_job=job.pk).exclude(grader=uploader).values_list("grader_id", flat=True)
    ):
        counts[grader_id] = counts.get(grader_id, 0) + 1
    for grader in User.objects.filter(pk__in=counts):
        notify(
            recipient=grader,
            kind="cupping_import",
            message=_("%(who)s entered %(n)d cupping sheets in your name.") % {"who": uploader, "n": counts[grader.pk]},
            url=reverse("cupping:queue"),
            dedupe_key=f"cupping-import-{job.pk}",
        )


def cupping_import_run(*, job_id: Any) -> str:
    """Validate every row, then insert all sheets in one transaction, or none. Safe to run twice."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.finished:
        return "already-done"
    if job.owner is None:
        job_finish(job_id=job.pk, ok=False, message=_("The uploader no longer exists."))
        return "invalid"
    text = job.params.get("csv", "")
    job_progress(job_id=job.pk, done=0, message=_("Checking every row…"))
    sheets, errors = import_validate(text, uploader=job.owner, job_id=job.pk)
    if errors:
        job_finish(
            job_id=job.pk,
            ok=False,
            message=_("%(n)d problems found; nothing was imported.") % {"n": len(errors)},
            result={"errors": errors[:500], "error_count": len(errors)},
        )
        return "invalid"
    try:
        with transaction.atomic():
            per_lot: dict[int, int] = {}
            for sheet in sheets:
                sheet.save()
                _sheet_saved(sheet, actor=job.owner, signal=False)
                per_lot[sheet.lot_id] = per_lot.get(sheet.lot_id, 0) + 1
            # Lock lots in id order so two imports touching the same lots cannot deadlock.
            for lot_id in sorted(per_lot):
                send_evidence_changed(
                    sender=CuppingSheet,
                    lot_id=lot_id,
                    kind="cupping_sheet",
                    detail=f"{per_lot[lot_id]} sheets imported",
                    actor=job.owner,
                )
                lot_score_recompute(lot_id=lot_id, actor=job.owner)
    except IntegrityError:
        # A previous run of this same job committed its rows (and crashed before finishing).
        if not CuppingSheet.objects.filter(import_job=job.pk).exists():
            raise
    created = list(CuppingSheet.objects.filter(import_job=job.pk).values_list("pk", flat=True))
    _notify_named_graders(job, uploader=job.owner)
    job_finish(
        job_id=job.pk,
        ok=True,
        message=_("%(n)d sheets imported.") % {"n": len(created)},
        result={"created": len(created), "sheet_ids": created},
    )
    return "imported"
