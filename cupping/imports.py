"""The cupping-session CSV import: upload → check every row → preview → the grader confirms → write.

A job (``core.models.Job``, kind ``cupping_import``) moves through:

    pending ──check──▶ previewed ──confirm──▶ pending ──apply──▶ succeeded
       │                  │ (cancel / expired)              │
       └──▶ failed ◀──────┴─────────────────────────────────┘

* Every sheet is the uploader's own: a ``grader`` column may only be empty or the uploader's own
  e-mail; naming anyone else is a row error. The uploader may only import for lots that are public
  or that have a cupping request open to or accepted by them.
* Nothing is written before the grader has seen the preview (rows per lot, the sheets of theirs of
  the same lot and harvest the import adds to, the official scores before and after) and confirmed
  it. At confirmation the file is checked again and the preview recomputed; if anything the grader
  saw has changed, nothing is written and they are told why.
* Writing is all-or-nothing in one transaction, audited per sheet and per job, and idempotent
  (a unique (import_job, import_row) constraint).
* Every job ends in ``succeeded`` or ``failed`` with a reason a person can act on, whatever the
  file holds: unexpected exceptions fail the job instead of leaving it running, runs are counted
  so a job that keeps killing its worker is failed by the sweep, and unconfirmed previews expire.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.errors import Conflict
from core.models import Job
from core.services import audit_log, job_create, job_finish, job_progress
from core.signals import send_evidence_changed
from cupping import conf, scoring
from cupping.models import CuppingSheet, SheetStatus
from cupping.services import (
    _require_grader,
    _sheet_saved,
    aggregate_sheets,
    counting_sheets,
    lot_score_recompute,
    requests_open_to,
    sheet_build,
)
from lots.models import PUBLIC_STATUSES, Lot

logger = logging.getLogger(__name__)

KIND = "cupping_import"

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
    "clean_cup",
    "uniform_cups",
    "clean_cups",
    "sweet_cups",
    "taint_cups",
    "fault_cups",
    "non_uniform_cups",
    "defective_cups",
    "defect_cups",
    "defect_intensity",
    "notes",
)
REQUIRED_COLUMNS = ("lot", "protocol", "cupped_on", "independent")
TRUE_WORDS = {"1", "true", "yes", "y", "si", "sí", "sim", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "não", "nao", ""}
LOT_NUMBER = re.compile(r"[0-9]{1,12}")  # ASCII digits only: "²" and "١٢" are not lot numbers
MAX_NOTES = 5000
MAX_CELL = 200  # any cell but notes: far more than a date, a score or an e-mail address needs
MAX_RUNS = 3  # a job whose run was cut short this many times (worker killed) is failed, not re-run


# --- Upload ---------------------------------------------------------------------------------


def import_template_csv() -> str:
    """A template with the header and one example row per protocol."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=IMPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    common = {"lot": "123", "grader": "", "cupped_on": timezone.localdate().isoformat(), "independent": "yes"}
    sca = dict.fromkeys(scoring.SCA_QUALITY, "7.75") | {
        "protocol": scoring.SCA2004,
        "uniform_cups": "5",
        "clean_cups": "5",
        "sweet_cups": "5",
        "taint_cups": "0",
        "fault_cups": "0",
        "notes": "jasmine, bergamot",
    }
    cva = dict.fromkeys(scoring.CVA_AFFECTIVE, "7") | {
        "protocol": scoring.CVA,
        "non_uniform_cups": "0",
        "defective_cups": "0",
        "notes": "stone fruit",
    }
    coe = dict.fromkeys(scoring.COE_ATTRIBUTES, "6.5") | {
        "protocol": scoring.COE,
        "defect_cups": "0",
        "defect_intensity": "",
        "notes": "red fruit, silky",
    }
    writer.writerow(common | sca)
    writer.writerow(common | cva)
    writer.writerow(common | coe)
    return out.getvalue()


def _text_of(data: bytes | str) -> str:
    """The upload as text, or a ValidationError saying exactly what is wrong with it."""
    save_as = _("Save the sheet as “CSV UTF-8” and upload it again.")
    if isinstance(data, str):
        try:
            data.encode("utf-8")  # a JSON body can carry lone surrogates, which no database stores
        except UnicodeEncodeError as exc:
            raise ValidationError(
                {"file": [_("The text contains a character that is not valid Unicode.") + " " + save_as]}
            ) from exc
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                {
                    "file": [
                        _("The file is not UTF-8 text (byte %(at)d cannot be read).") % {"at": exc.start + 1}
                        + " "
                        + save_as
                    ]
                }
            ) from exc
    if "\x00" in text:
        raise ValidationError(
            {
                "file": [
                    _("The file contains NUL bytes, so it is not a CSV text file (perhaps a spreadsheet?).")
                    + " "
                    + save_as
                ]
            }
        )
    return text


def cupping_import_start(*, by: Any, data: bytes | str) -> Job:
    """Check the upload's shape, record a Job, and check its rows in the background after commit.
    Nothing is imported until the grader confirms the preview (``cupping_import_confirm``)."""
    _require_grader(by)
    text = _text_of(data)
    size = len(text.encode("utf-8"))
    if not text.strip():
        raise ValidationError({"file": [_("The file is empty.")]})
    if size > conf.import_max_bytes():
        raise ValidationError(
            {"file": [_("The file is larger than %(kb)d KB.") % {"kb": conf.import_max_bytes() // 1024}]}
        )
    from cupping.tasks import run_cupping_import

    with transaction.atomic():
        job = job_create(kind=KIND, owner=by, params={"csv": text, "confirmed": False, "runs": 0})
        audit_log(actor=by, action="cupping.import_started", target=job, data={"bytes": size})
        run_cupping_import.delay_on_commit(str(job.pk))
    return job


# --- Checking rows --------------------------------------------------------------------------


@dataclass
class ImportCheck:
    """What checking a file found: the sheets ready to save, or the errors (row, column, message)."""

    sheets: list[CuppingSheet] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def err(self, row: int, column: str, message: Any) -> None:
        self.errors.append({"row": row, "column": column, "message": str(message)})


def _bool_cell(raw: str) -> bool | None:
    word = (raw or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _date_cell(raw: str) -> datetime.date | None:
    # fromisoformat reads other scripts' digits too; a date is ASCII or it is not a date.
    if not raw.isascii():
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return None


def _read_rows(text: str, check: ImportCheck) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and rows; any CSV-level problem becomes an error on the line it was found."""
    # The csv module's field limit (128 KiB, a process-wide setting we leave alone) raises
    # mid-file; it is reported like any other unreadable line. Shorter cells are checked per cell.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[dict[str, Any]] = []
    header: list[str] | None = None
    try:
        header = [(h or "").strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        for row in reader:
            rows.append(row)
            if len(rows) > conf.import_max_rows():
                break
    except csv.Error as exc:
        if "field limit" in str(exc):
            message = _("A cell on this line is longer than %(n)d characters.") % {"n": csv.field_size_limit()}
        else:
            message = _("This line could not be read as CSV: %(why)s.") % {"why": str(exc)[:200]}
        # Rows are numbered as everywhere in the report: the header is row 1, then one per record.
        check.err(1 if header is None else len(rows) + 2, "", message)
        return [], []
    return header, rows


def import_validate(text: str, *, uploader: Any, job_id: Any = None) -> ImportCheck:
    """Parse and validate every row as the uploader's own sheets; never raises on bad input."""
    check = ImportCheck()
    header, rows = _read_rows(text, check)
    if check.errors:
        return check
    for name in REQUIRED_COLUMNS:
        if name not in header:
            check.err(1, name, _("This column is missing."))
    seen: set[str] = set()
    for name in header:
        if name not in IMPORT_COLUMNS:
            check.err(1, name[:40] or "?", _("Unknown column."))
        elif name in seen:
            check.err(1, name, _("This column appears twice."))
        seen.add(name)
    if check.errors:
        return check
    if not rows:
        check.err(1, "", _("The file has no data rows."))
        return check
    if len(rows) > conf.import_max_rows():
        check.err(1, "", _("At most %(n)d rows per file.") % {"n": conf.import_max_rows()})
        return check
    check.rows = len(rows)
    uploader = User.objects.select_related("q_grader_profile").get(pk=uploader.pk)
    lot_ids = {int(c) for r in rows if LOT_NUMBER.fullmatch(c := (r.get("lot") or "").strip())}
    open_lots = {
        lot.pk: lot
        for lot in Lot.objects.filter(pk__in=lot_ids).filter(
            Q(status__in=PUBLIC_STATUSES) | Q(pk__in=_open_requests(uploader).values("lot_id"))
        )
    }
    every = conf.import_progress_every()
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        try:
            sheet = _check_row(check, line, row, header=header, uploader=uploader, lots=open_lots)
        except (ArithmeticError, ValueError, TypeError, LookupError) as exc:
            # A value no check above foresaw: a clear row error, never a job stuck half-way.
            logger.warning("cupping import row %s could not be read: %r", line, exc)
            check.err(line, "", _("This row has a value that could not be read; check its numbers and dates."))
            sheet = None
        if sheet is not None:
            sheet.import_job = job_id
            sheet.import_row = line
            check.sheets.append(sheet)
        if job_id is not None and (index + 1) % every == 0:
            job_progress(job_id=job_id, done=index + 1, total=len(rows))
    return check


def _open_requests(uploader: Any) -> Any:
    from cupping.models import CuppingRequest

    return CuppingRequest.objects.filter(requests_open_to(uploader))


def _check_row(
    check: ImportCheck, line: int, row: dict[Any, Any], *, header: list[str], uploader: Any, lots: dict[int, Lot]
) -> CuppingSheet | None:
    if None in row:
        check.err(line, "", _("This row has more cells than the header."))
        return None
    cells = {k: (v or "").strip() for k, v in row.items()}
    too_long = False
    for column, value in cells.items():
        limit = MAX_NOTES if column == "notes" else MAX_CELL
        if len(value) > limit:
            check.err(line, column, _("This cell is longer than %(n)d characters.") % {"n": limit})
            too_long = True
    if too_long:
        return None
    lot_cell = cells.get("lot", "")
    lot = lots.get(int(lot_cell)) if LOT_NUMBER.fullmatch(lot_cell) else None
    if not LOT_NUMBER.fullmatch(lot_cell):
        check.err(line, "lot", _("Enter the lot number shown on the lot page, in the digits 0–9."))
    elif lot is None:
        # One message for "no such lot" and "not open to you", so drafts cannot be probed.
        check.err(
            line,
            "lot",
            _(
                "No lot with this number is open to you for cupping (it must be listed, reserved or "
                "sold out, or have a cupping request open to you)."
            ),
        )
    email = cells.get("grader", "")
    if email and email.lower() != uploader.email.lower():
        check.err(
            line,
            "grader",
            _(
                "Imported sheets are always yours: this row names another grader. Leave the grader "
                "column empty or enter your own e-mail address; another grader enters their own sheets."
            ),
        )
    protocol = cells.get("protocol", "")
    if protocol not in scoring.PROTOCOLS:
        check.err(line, "protocol", _("Choose sca2004, cva or coe."))
    cupped_on = _date_cell(cells.get("cupped_on", ""))
    if cupped_on is None:
        check.err(line, "cupped_on", _("Enter a date as YYYY-MM-DD."))
    independent = _bool_cell(cells.get("independent", ""))
    if independent is None:
        check.err(line, "independent", _("Enter yes or no."))
    if protocol in scoring.PROTOCOLS:
        own = scoring.fields_of(protocol)
        for column in header:
            if column in scoring.ALL_SCORE_FIELDS and column not in own and cells.get(column):
                check.err(line, column, _("Leave this empty for protocol %(protocol)s.") % {"protocol": protocol})
    if lot is None or protocol not in scoring.PROTOCOLS or (email and email.lower() != uploader.email.lower()):
        return None
    values = {k: v for k, v in cells.items() if k in scoring.ALL_SCORE_FIELDS}
    sheet, problems = sheet_build(
        grader=uploader,
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
            check.err(line, column, message)
    return sheet


# --- Preview --------------------------------------------------------------------------------


def _official(scores: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p: {"value": str(d["mean"]), "graders": d["graders"]} for p, d in scores.items()}


def import_preview(sheets: list[CuppingSheet], *, uploader: Any) -> dict[str, Any]:
    """What confirming would do, per lot: the new rows, the uploader's existing sheets of the same
    lot and harvest that the import adds to, and each protocol's official score before and after.
    ``digest`` fingerprints what the grader is asked to confirm (rows and the sheets added to)."""
    by_lot: dict[int, list[CuppingSheet]] = {}
    for sheet in sheets:
        by_lot.setdefault(sheet.lot_id, []).append(sheet)
    lots_out: list[dict[str, Any]] = []
    for lot_id in sorted(by_lot):
        new = by_lot[lot_id]
        lot = new[0].lot
        existing = list(
            CuppingSheet.objects.filter(
                lot_id=lot_id, grader_id=uploader.pk, harvest_year=lot.harvest_year, status=SheetStatus.ACTIVE
            ).order_by("cupped_on", "id")
        )
        counting = list(counting_sheets(lot_id=lot_id, harvest_year=lot.harvest_year))
        # The new sheets join the counting ones in date order; the grader's latest per protocol wins.
        joined = sorted(
            counting + [s for s in new if s.independent],
            key=lambda s: (s.cupped_on, s.pk is None, s.pk or 0, s.import_row or 0),
        )
        by_protocol: dict[str, int] = {}
        for sheet in new:
            by_protocol[sheet.protocol] = by_protocol.get(sheet.protocol, 0) + 1
        lots_out.append(
            {
                "lot": lot_id,
                "code": lot.code,
                "name": lot.name,
                "harvest_year": lot.harvest_year,
                "row_count": len(new),
                "by_protocol": by_protocol,
                "rows": [
                    {
                        "row": s.import_row,
                        "protocol": s.protocol,
                        "cupped_on": s.cupped_on.isoformat(),
                        "final_score": str(s.final_score),
                        "label": scoring.score_label(s.protocol, s.final_score),
                        "counts": s.independent,
                        "reasons": list(s.independence_reasons),
                    }
                    for s in new
                ],
                "existing": [
                    {
                        "sheet": s.pk,
                        "protocol": s.protocol,
                        "cupped_on": s.cupped_on.isoformat(),
                        "final_score": str(s.final_score),
                        "label": scoring.score_label(s.protocol, s.final_score),
                        "counts": s.independent,
                    }
                    for s in existing
                ],
                "official_before": _official(aggregate_sheets(counting, harvest_year=lot.harvest_year)),
                "official_after": _official(aggregate_sheets(joined, harvest_year=lot.harvest_year)),
            }
        )
    warnings = []
    if sheets and not any(s.independent for s in sheets):
        warnings.append(
            _("None of these sheets will count towards an official score: %(why)s")
            % {"why": _independence_summary(sheets)}
        )
    fingerprint = [
        {
            "lot": item["lot"],
            "harvest_year": item["harvest_year"],
            "rows": [(r["row"], r["protocol"], r["cupped_on"], r["final_score"], r["counts"]) for r in item["rows"]],
            "existing": [e["sheet"] for e in item["existing"]],
        }
        for item in lots_out
    ]
    digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
    return {"rows": len(sheets), "lots": lots_out, "warnings": warnings, "digest": digest}


def _independence_summary(sheets: list[CuppingSheet]) -> str:
    from cupping.views import INDEPENDENCE_LABELS

    reasons = dict.fromkeys(r for s in sheets for r in s.independence_reasons)
    return " ".join(str(INDEPENDENCE_LABELS.get(r, r)) for r in reasons)


# --- Running --------------------------------------------------------------------------------


def _fail(job: Job, message: str, **result: Any) -> None:
    job_finish(job_id=job.pk, ok=False, message=message, result={**(job.result or {}), **result})


def cupping_import_run(*, job_id: Any) -> str:
    """One run of a job: check and preview it, or (once confirmed) write it. Safe to run twice and
    never leaves the job running: anything unexpected fails it with a reason."""
    job = Job.objects.select_related("owner").filter(pk=job_id, kind=KIND).first()
    if job is None:
        return "missing"
    if job.finished:
        return "already-done"
    if job.status == Job.Status.PREVIEWED:
        return "awaiting-confirmation"
    if job.owner is None:
        _fail(job, _("The uploader no longer exists."))
        return "invalid"
    runs = int(job.params.get("runs", 0)) + 1
    if runs > MAX_RUNS and not CuppingSheet.objects.filter(import_job=job.pk).exists():
        _fail(
            job,
            _("The import was interrupted %(n)d times without finishing; nothing was imported. Upload the file again.")
            % {"n": MAX_RUNS},
        )
        return "crashed"
    Job.objects.filter(pk=job.pk).update(params={**job.params, "runs": runs})
    try:
        if job.params.get("confirmed"):
            return _apply(job)
        return _check_and_preview(job)
    except OperationalError:
        raise  # transient (database gone away): the task retries; the sweep and MAX_RUNS bound it
    except SoftTimeLimitExceeded:
        _fail(job, _("The import took longer than allowed and was stopped; nothing was imported. Split the file."))
        return "crashed"
    except Exception as exc:
        logger.exception("cupping import %s stopped on an unexpected error", job.pk)
        _fail(
            job,
            _("The import stopped on an unexpected problem (%(kind)s); nothing was imported.")
            % {"kind": type(exc).__name__},
        )
        return "crashed"


def _check_and_preview(job: Job) -> str:
    job_progress(job_id=job.pk, done=0, message=_("Checking every row…"))
    check = import_validate(job.params.get("csv", ""), uploader=job.owner, job_id=job.pk)
    if check.errors:
        _fail(
            job,
            _("%(n)d problems found; nothing was imported.") % {"n": len(check.errors)},
            errors=check.errors[:500],
            error_count=len(check.errors),
        )
        return "invalid"
    preview = import_preview(check.sheets, uploader=job.owner)
    moved = Job.objects.filter(pk=job.pk, status__in=[Job.Status.PENDING, Job.Status.RUNNING]).update(
        status=Job.Status.PREVIEWED,
        done=check.rows,
        total=check.rows,
        message=_("%(n)d rows checked. Review the preview, then confirm to import them.") % {"n": check.rows},
        result={"preview": preview},
        updated_at=timezone.now(),
    )
    if moved:
        audit_log(
            actor=job.owner,
            action="cupping.import_previewed",
            target=job,
            data={"rows": check.rows, "lots": [item["lot"] for item in preview["lots"]], "digest": preview["digest"]},
        )
    return "previewed"


def _apply(job: Job) -> str:
    """Write the confirmed rows, all or nothing, if what the grader confirmed still holds."""
    confirmed = (job.result or {}).get("preview") or {}
    if not CuppingSheet.objects.filter(import_job=job.pk).exists():
        job_progress(job_id=job.pk, done=0, message=_("Importing…"))
        check = import_validate(job.params.get("csv", ""), uploader=job.owner, job_id=job.pk)
        if check.errors:
            _fail(
                job,
                _(
                    "Since your preview, %(n)d problems appeared (a lot closed or your licence changed); "
                    "nothing was imported."
                )
                % {"n": len(check.errors)},
                errors=check.errors[:500],
                error_count=len(check.errors),
            )
            return "invalid"
        preview = import_preview(check.sheets, uploader=job.owner)
        if preview["digest"] != confirmed.get("digest"):
            _fail(
                job,
                _(
                    "The lots or your sheets changed since your preview, so it no longer shows what would "
                    "happen; nothing was imported. Upload the file again to see a fresh preview."
                ),
            )
            return "stale"
        try:
            _write(job, check.sheets)
        except IntegrityError:
            # A previous run of this same job committed its rows (and crashed before finishing).
            if not CuppingSheet.objects.filter(import_job=job.pk).exists():
                raise
    created = list(CuppingSheet.objects.filter(import_job=job.pk).order_by("import_row").values_list("pk", flat=True))
    job_finish(
        job_id=job.pk,
        ok=True,
        message=ngettext("%(n)d sheet imported.", "%(n)d sheets imported.", len(created)) % {"n": len(created)},
        result={"preview": confirmed, "created": len(created), "sheet_ids": created},
    )
    return "imported"


def _write(job: Job, sheets: list[CuppingSheet]) -> None:
    lot_ids = sorted({s.lot_id for s in sheets})
    with transaction.atomic():
        # Lock the lots first, in id order: inserting a sheet takes a share lock on its lot, so
        # locking after inserting could deadlock two imports that touch the same lots.
        list(Lot.objects.select_for_update().filter(pk__in=lot_ids).order_by("pk").values_list("pk", flat=True))
        per_lot: dict[int, int] = {}
        for sheet in sheets:
            sheet.save()
            _sheet_saved(sheet, actor=job.owner, signal=False)
            per_lot[sheet.lot_id] = per_lot.get(sheet.lot_id, 0) + 1
        for lot_id in lot_ids:
            send_evidence_changed(
                sender=CuppingSheet,
                lot_id=lot_id,
                kind="cupping_sheet",
                detail=f"{per_lot[lot_id]} sheets imported",
                actor=job.owner,
            )
            lot_score_recompute(lot_id=lot_id, actor=job.owner)
        audit_log(
            actor=job.owner,
            action="cupping.import_applied",
            target=job,
            data={"sheets": len(sheets), "lots": lot_ids},
        )


# --- The grader's answer --------------------------------------------------------------------


def _own_job(job_id: Any, by: Any) -> Job:
    job = Job.objects.select_for_update().filter(pk=job_id, kind=KIND).first()
    if job is None or job.owner_id != getattr(by, "pk", None):
        raise PermissionDenied(_("Only the grader who uploaded this import can answer its preview."))
    return job


def _expired(job: Job) -> bool:
    return job.updated_at < timezone.now() - datetime.timedelta(hours=conf.import_preview_hours())


def cupping_import_confirm(*, job_id: Any, by: Any) -> Job:
    """The grader confirms the preview: the rows are written in the background after commit.
    Confirming twice is harmless; a job that is not waiting for confirmation is a conflict."""
    _require_grader(by)
    from cupping.tasks import run_cupping_import

    with transaction.atomic():
        job = _own_job(job_id, by)
        if job.params.get("confirmed"):
            return job
        if job.status != Job.Status.PREVIEWED:
            raise Conflict(_("This import is not waiting for your confirmation."))
        if _expired(job):
            raise Conflict(_("This preview has expired; upload the file again."))
        job.params = {**job.params, "confirmed": True, "runs": 0}
        job.status = Job.Status.PENDING
        job.done = 0
        job.message = _("Confirmed; importing…")
        job.save(update_fields=["params", "status", "done", "message", "updated_at"])
        audit_log(
            actor=by,
            action="cupping.import_confirmed",
            target=job,
            data={"digest": (job.result or {}).get("preview", {}).get("digest", "")},
        )
        run_cupping_import.delay_on_commit(str(job.pk))
    return job


def cupping_import_cancel(*, job_id: Any, by: Any) -> Job:
    """The grader discards the preview: the job fails with that reason and nothing is written."""
    _require_grader(by)
    with transaction.atomic():
        job = _own_job(job_id, by)
        if job.status == Job.Status.FAILED:
            return job
        if job.status != Job.Status.PREVIEWED or job.params.get("confirmed"):
            raise Conflict(_("Only an import waiting for your confirmation can be cancelled."))
        job_finish(
            job_id=job.pk,
            ok=False,
            message=_("You cancelled this import; nothing was imported."),
            result=job.result,
        )
        audit_log(actor=by, action="cupping.import_cancelled", target=job)
        job.refresh_from_db()
    return job


# --- Sweep ----------------------------------------------------------------------------------


def imports_sweep(*, older_than_minutes: int = 5) -> dict[str, int]:
    """Finish what would otherwise wait forever: re-enqueue jobs waiting or running for a while
    (a lost enqueue, a killed worker; MAX_RUNS bounds the re-runs of a job that kills its worker),
    and expire previews nobody confirmed."""
    from cupping.tasks import run_cupping_import

    now = timezone.now()
    stale = now - datetime.timedelta(minutes=older_than_minutes)
    stuck = now - datetime.timedelta(minutes=max(older_than_minutes, conf.import_stuck_minutes()))
    ids = list(
        Job.objects.filter(kind=KIND)
        # Pending: by age, as a lost enqueue leaves it (a duplicate run of a job is harmless).
        .filter(Q(status=Job.Status.PENDING, created_at__lt=stale) | Q(status=Job.Status.RUNNING, updated_at__lt=stuck))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        run_cupping_import.delay(str(pk))
    expired = 0
    cutoff = now - datetime.timedelta(hours=conf.import_preview_hours())
    for job in Job.objects.filter(kind=KIND, status=Job.Status.PREVIEWED, updated_at__lt=cutoff)[:500]:
        changed = Job.objects.filter(pk=job.pk, status=Job.Status.PREVIEWED).update(
            status=Job.Status.FAILED,
            message=_("The preview was not confirmed within %(h)d hours; nothing was imported.")
            % {"h": conf.import_preview_hours()},
            updated_at=now,
        )
        expired += changed
    return {"requeued": len(ids), "expired": expired}
