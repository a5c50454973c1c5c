"""Writes of the pricing app: premiums, baselines, the C series, exchange rates and FOB adjustments.

Every reference-table change is audited in its own transaction and, where it can move a premium
(baselines, rates, adjustments), schedules one sweep after commit.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import ExchangeRate, Job
from core.services import audit_log, job_create
from core.signals import send_evidence_changed
from lots.models import Lot
from marketplace.pricing import conf
from marketplace.pricing.compute import PremiumResult, premium_compute
from marketplace.pricing.models import CPrice, IncotermAdjustment, LotPremium, SpecialtyBaseline
from marketplace.pricing.selectors import premium_inputs, pricing_context

SWEEP_JOB_KIND = "pricing.sweep"
# A change of any of these is announced (moderation recomputes the premium hallmark from them).
_FLAG_FIELDS = (
    "premium_ratio",
    "flag_under_2x",
    "flag_over_10x",
    "flag_high_price",
    "years_stale",
    "competition_result_id",
    "competition_excused",
)


# --- premiums ----------------------------------------------------------------------------------


def premium_store(*, lot_id: int, result: PremiumResult, now: datetime.datetime) -> tuple[LotPremium, bool]:
    """Upsert the lot's premium row and copy the ratio to the lot; returns (row, changed).

    Call inside a transaction. ``changed`` (the ratio or a flag moved, or it is the first figure)
    sends ``evidence_changed(kind="premium")``.
    """
    values = result.stored()
    existing = LotPremium.objects.select_for_update().filter(lot_id=lot_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                premium = LotPremium.objects.create(lot_id=lot_id, computed_at=now, changed_at=now, **values)
            changed = True
        except IntegrityError:
            # A sweep inserted the row between our read and our insert; update it instead.
            existing = LotPremium.objects.select_for_update().get(lot_id=lot_id)
    if existing is not None:
        # status "" is the placeholder lot_premium_recompute inserts to take the row lock first.
        changed = existing.status == "" or any(getattr(existing, f) != values[f] for f in _FLAG_FIELDS)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.computed_at = now
        if changed:
            existing.changed_at = now
        existing.save()
        premium = existing
    ratio = result.premium_ratio
    # Conditional UPDATE: no write (and no row lock held longer) when the catalogue value is right.
    Lot.objects.filter(pk=lot_id).exclude(premium_ratio=ratio).update(premium_ratio=ratio)
    if changed:
        send_evidence_changed(
            sender=LotPremium,
            lot_id=lot_id,
            kind="premium",
            detail=f"premium ratio {ratio}, flags: {', '.join(premium.flags) or 'none'}",
        )
    return premium, changed


def lot_premium_recompute(*, lot_id: int) -> LotPremium | None:
    """Recompute one lot's premium from its current price, origin, harvest year and score."""
    with transaction.atomic():
        if not Lot.objects.filter(pk=lot_id).exists():
            return None
        now = timezone.now()
        # Lock order everywhere is the premium row, then the lot row: the sweep's upsert locks premium
        # rows before its UPDATE of lots, so taking the lot first here could deadlock with it. The
        # placeholder (status "") gives a first computation a row to lock; it never commits as is.
        LotPremium.objects.bulk_create(
            [LotPremium(lot_id=lot_id, status="", computed_at=now, changed_at=now)], ignore_conflicts=True
        )
        LotPremium.objects.select_for_update().get(lot_id=lot_id)
        # Read under the lock, so a recompute queued behind another sees the newest price.
        inputs = premium_inputs(Lot.objects.filter(pk=lot_id))
        result = premium_compute(inputs[0], pricing_context())
        premium, _changed = premium_store(lot_id=lot_id, result=result, now=now)
    return premium


def _require_moderator(user: Any) -> None:
    if not (getattr(user, "is_authenticated", False) and getattr(user, "role", None) == "moderator"):
        raise PermissionDenied(_("Only moderators can change prices and baselines."))


def sweep_start(*, by: Any, reason: str = "") -> Job:
    """Create a sweep job and run it on a worker after commit (moderators, or internal callers with by=None)."""
    if by is not None:
        _require_moderator(by)
    from marketplace.pricing.tasks import premiums_sweep_task

    job = job_create(kind=SWEEP_JOB_KIND, owner=by, params={"reason": reason})
    audit_log(actor=by, action="pricing.sweep_started", target=job, data={"reason": reason})
    premiums_sweep_task.delay_on_commit(str(job.pk))
    return job


# --- reference tables ----------------------------------------------------------------------------

# kind → (model, editable fields, whether a change can move premiums)
TABLES: dict[str, tuple[type[models.Model], tuple[str, ...], bool]] = {
    "baseline": (
        SpecialtyBaseline,
        (
            "edition",
            "published_on",
            "harvest_year",
            "origin",
            "score_band",
            "size_band",
            "p25",
            "median",
            "p75",
            "source",
            "source_url",
            "notes",
        ),
        True,
    ),
    "cprice": (CPrice, ("observed_on", "label", "kind", "usd_per_lb", "usd_per_lb_high", "contract", "source"), False),
    "rate": (ExchangeRate, ("currency", "usd_per_unit", "valid_on", "source"), True),
    "adjustment": (IncotermAdjustment, ("origin", "incoterm", "usd_per_lb", "note"), True),
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (Decimal, datetime.date)):
        return str(value)
    return value


def _clean_origin(data: dict[str, Any]) -> None:
    if "origin" in data and data["origin"] is not None:
        data["origin"] = str(data["origin"]).strip().upper()


def _apply(instance: models.Model, fields: tuple[str, ...], data: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if value is None and not instance._meta.get_field(name).null:
            value = ""
        if getattr(instance, name) != value:
            changes[name] = [_jsonable(getattr(instance, name)), _jsonable(value)]
        setattr(instance, name, value)
    return changes


def reference_save(*, kind: str, by: Any, data: dict[str, Any], instance: models.Model | None = None) -> models.Model:
    """Create (``instance=None``) or update one row of a reference table; audited; may schedule a sweep."""
    _require_moderator(by)
    model, fields, moves = TABLES[kind]
    data = dict(data)
    _clean_origin(data)
    with transaction.atomic():
        if instance is None:
            obj = model()
            action = f"pricing.{kind}_created"
        else:
            obj = model._default_manager.select_for_update().get(pk=instance.pk)
            action = f"pricing.{kind}_updated"
        changes = _apply(obj, fields, data)
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = by  # type: ignore[attr-defined]
        obj.full_clean()
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as exc:
            raise ValidationError(_("A row with the same key already exists.")) from exc
        audit_log(actor=by, action=action, target=obj, data={"changes": changes})
        if moves and (instance is None or changes):
            sweep_start(by=None, reason=action)
    return obj


def reference_delete(*, kind: str, by: Any, instance: models.Model) -> None:
    _require_moderator(by)
    model, fields, moves = TABLES[kind]
    with transaction.atomic():
        snapshot = {name: _jsonable(getattr(instance, name)) for name in fields}
        audit_log(actor=by, action=f"pricing.{kind}_deleted", target=instance, data={"deleted": snapshot})
        model._default_manager.filter(pk=instance.pk).delete()
        if moves:
            sweep_start(by=None, reason=f"pricing.{kind}_deleted")


# --- CSV import -----------------------------------------------------------------------------------

# kind → (CSV columns in order, natural key used to update an existing row)
CSV_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "baseline": (TABLES["baseline"][1], ("edition", "harvest_year", "origin", "score_band", "size_band")),
    "cprice": (TABLES["cprice"][1], ("observed_on", "kind", "contract")),
    "rate": (TABLES["rate"][1], ("currency", "valid_on")),
    "adjustment": (TABLES["adjustment"][1], ("origin", "incoterm")),
}


def _parse(model: type[models.Model], name: str, raw: str) -> Any:
    field = model._meta.get_field(name)
    raw = raw.strip()
    if raw == "":
        return None if field.null else ""
    if isinstance(field, models.DecimalField):
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not value.is_finite():
            raise ValidationError(_("Enter a number."))
        return value
    if isinstance(field, models.DateField):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    if isinstance(field, models.IntegerField):
        if not raw.isdigit():
            raise ValidationError(_("Enter a whole number."))
        return int(raw)
    return raw


def csv_import(*, kind: str, by: Any, data: bytes) -> int:
    """Import rows (create or update by natural key), all or nothing; returns the number of rows.

    Errors are collected for every row and raised together as ``ValidationError`` with messages
    "row N, column: problem", so a moderator can fix the whole file at once.
    """
    _require_moderator(by)
    model, fields, moves = TABLES[kind]
    columns, key = CSV_COLUMNS[kind]
    if len(data) > conf.CSV_MAX_BYTES:
        raise ValidationError(_("The file is too large."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file must be UTF-8 text.")) from exc
    if "\x00" in text:
        # Binary, not text; PostgreSQL would refuse the NUL only when a row is saved (a 500).
        raise ValidationError(_("The file must be UTF-8 text."))
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header and getattr(model._meta.get_field(c), "blank", True) is False]
    if missing:
        raise ValidationError(_("Missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    errors: list[str] = []
    count = 0
    with transaction.atomic():
        for number, raw in enumerate(reader, start=2):
            if number - 1 > conf.CSV_MAX_ROWS:
                raise ValidationError(_("At most %(n)s rows per file.") % {"n": conf.CSV_MAX_ROWS})
            row = {(k or "").strip(): (v or "") for k, v in raw.items()}
            values: dict[str, Any] = {}
            failed: list[str] = []
            for name in columns:
                if name not in row:
                    continue
                try:
                    values[name] = _parse(model, name, row[name])
                except ValidationError as exc:
                    failed.append(name)
                    errors.append(
                        _("row %(row)s, %(column)s: %(problem)s")
                        % {"row": number, "column": name, "problem": exc.messages[0]}
                    )
            _clean_origin(values)
            lookup = {k: values.get(k) if values.get(k) is not None else "" for k in key}
            existing = model._default_manager.filter(**lookup).first() if not failed else None
            obj = existing or model()
            changes = _apply(obj, fields, values)
            if hasattr(obj, "updated_by_id"):
                obj.updated_by = by  # type: ignore[attr-defined]
            try:
                # Fields that did not parse are reported once, above; check the rest of the row too.
                obj.full_clean(exclude=failed, validate_unique=False, validate_constraints=not failed)
            except ValidationError as exc:
                for field_name, messages in exc.message_dict.items():
                    for message in messages:
                        errors.append(
                            _("row %(row)s, %(column)s: %(problem)s")
                            % {"row": number, "column": field_name, "problem": message}
                        )
                continue
            if failed:
                continue
            try:
                with transaction.atomic():
                    obj.save()
            except IntegrityError:
                errors.append(_("row %(row)s: the same key appears twice") % {"row": number})
                continue
            action = f"pricing.{kind}_{'updated' if existing else 'created'}"
            audit_log(actor=by, action=action, target=obj, data={"changes": changes, "csv_row": number})
            count += 1
        if errors:
            transaction.set_rollback(True)
        elif moves and count:
            sweep_start(by=None, reason=f"pricing.{kind}_csv_import")
    if errors:
        raise ValidationError(errors[:50])
    return count
