"""Sample requests: requested → accepted (or declined) → shipped → arrived → feedback.

Each step is one guarded service: it locks the row, checks the party and the transition, stamps
the time, audits, and tells the other party.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.money import Currency
from core.services import audit_log, notify
from lots.models import Lot, LotStatus
from marketplace.negotiation import conf
from marketplace.negotiation.models import (
    SAMPLE_TRANSITIONS,
    SampleKind,
    SampleRequest,
    SampleStatus,
    SampleTerms,
)


def sample_url(sample: SampleRequest) -> str:
    return reverse("negotiation:sample_detail", args=[sample.pk])


def _tell(*, sample: SampleRequest, recipient: Any, kind: str, message: str) -> None:
    notify(recipient=recipient, kind=kind, message=message, url=sample_url(sample), dedupe_key=f"{kind}-{sample.pk}")


def sample_terms_set(*, producer: Any, fee: Any, currency: str) -> SampleTerms:
    """The producer's price for one sample; copied onto each request when it is made."""
    if not getattr(producer, "is_producer", False):
        raise PermissionDenied(_("Only producers set a sample price."))
    errors = {}
    try:
        amount = Decimal(str(fee))
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e8"):
            errors["fee"] = _("Enter an amount of zero or more.")
    except (InvalidOperation, ValueError):
        errors["fee"] = _("Enter a number.")
        amount = Decimal(0)
    if currency not in Currency.values:
        errors["currency"] = _("Choose a currency.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        terms, _created = SampleTerms.objects.update_or_create(
            producer=producer, defaults={"fee": amount.quantize(Decimal("0.01")), "currency": currency}
        )
        audit_log(
            actor=producer, action="sample_terms.set", target=terms, data={"fee": str(terms.fee), "currency": currency}
        )
    return terms


def sample_request(*, lot: Lot, by: Any, kind: str, grams: Any, message: str = "") -> SampleRequest:
    """A roaster asks for a sample of a listed lot, at the producer's current sample price."""
    if not getattr(by, "is_roaster", False):
        raise PermissionDenied(_("Only roasters request samples."))
    errors = {}
    if kind not in SampleKind.values:
        errors["kind"] = _("Choose the type of sample.")
    try:
        g = int(grams)
        if not conf.SAMPLE_MIN_GRAMS <= g <= conf.SAMPLE_MAX_GRAMS:
            errors["grams"] = _("A sample weighs between %(a)s and %(b)s g (typically 100–350 g).") % {
                "a": conf.SAMPLE_MIN_GRAMS,
                "b": conf.SAMPLE_MAX_GRAMS,
            }
    except (TypeError, ValueError):
        errors["grams"] = _("Enter a whole number of grams.")
        g = 0
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Lot.objects.select_related("producer").get(pk=lot.pk)
        if locked.status not in (LotStatus.LISTED, LotStatus.RESERVED):
            raise Conflict(_("Samples can be requested only for listed lots."), {"lot_status": locked.status})
        terms = SampleTerms.objects.filter(producer_id=locked.producer_id).first()
        sample = SampleRequest.objects.create(
            lot=locked,
            roaster=by,
            producer=locked.producer,
            kind=kind,
            grams=g,
            message=message.strip()[:1000],
            fee=terms.fee if terms else Decimal("0"),
            currency=terms.currency if terms else Currency.USD,
        )
        audit_log(
            actor=by, action="sample.requested", target=sample, data={"kind": kind, "grams": g, "fee": str(sample.fee)}
        )
        _tell(
            sample=sample,
            recipient=locked.producer,
            kind="sample.requested",
            message=_("%(who)s asks for a %(g)s g sample of %(lot)s.") % {"who": by, "g": g, "lot": locked.name},
        )
    return sample


def _move(
    *, sample: SampleRequest, by: Any, party: str, to: str, fields: dict[str, Any], data: dict[str, Any] | None = None
) -> tuple[SampleRequest, bool]:
    locked = (
        SampleRequest.objects.select_for_update(of=("self",))
        .select_related("lot", "roaster", "producer")
        .get(pk=sample.pk)
    )
    party_id = locked.producer_id if party == "producer" else locked.roaster_id
    if getattr(by, "pk", None) != party_id:
        raise PermissionDenied(_("You cannot do this on this sample request."))
    if locked.status == to:
        return locked, False
    if to not in SAMPLE_TRANSITIONS[locked.status]:
        raise Conflict(
            _("This sample request is %(status)s; it cannot become %(to)s.")
            % {"status": locked.get_status_display(), "to": SampleStatus(to).label},
            {"status": locked.status},
        )
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *fields])
    audit_log(actor=by, action=f"sample.{to}", target=locked, data=data or {})
    return locked, True


def sample_accept(*, sample: SampleRequest, by: Any) -> SampleRequest:
    with transaction.atomic():
        sample, changed = _move(
            sample=sample, by=by, party="producer", to=SampleStatus.ACCEPTED, fields={"accepted_at": timezone.now()}
        )
        if changed:
            _tell(
                sample=sample,
                recipient=sample.roaster,
                kind="sample.accepted",
                message=_("Your sample of %(lot)s will be sent.") % {"lot": sample.lot.name},
            )
    return sample


def sample_decline(*, sample: SampleRequest, by: Any, reason: str = "") -> SampleRequest:
    with transaction.atomic():
        sample, changed = _move(
            sample=sample,
            by=by,
            party="producer",
            to=SampleStatus.DECLINED,
            fields={"declined_at": timezone.now(), "decline_reason": reason.strip()[:500]},
            data={"reason": reason.strip()[:500]},
        )
        if changed:
            _tell(
                sample=sample,
                recipient=sample.roaster,
                kind="sample.declined",
                message=_("Your sample request for %(lot)s was declined.") % {"lot": sample.lot.name},
            )
    return sample


def sample_ship(*, sample: SampleRequest, by: Any, courier: str, tracking: str) -> SampleRequest:
    courier, tracking = courier.strip(), tracking.strip()
    errors = {}
    if not courier:
        errors["courier"] = _("Say which courier carries the sample.")
    if not tracking:
        errors["tracking"] = _("Give the tracking number.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sample, changed = _move(
            sample=sample,
            by=by,
            party="producer",
            to=SampleStatus.SHIPPED,
            fields={"shipped_at": timezone.now(), "courier": courier[:100], "tracking": tracking[:100]},
            data={"courier": courier, "tracking": tracking},
        )
        if changed:
            _tell(
                sample=sample,
                recipient=sample.roaster,
                kind="sample.shipped",
                message=_("Your sample of %(lot)s is on its way with %(c)s (%(t)s).")
                % {"lot": sample.lot.name, "c": courier, "t": tracking},
            )
    return sample


def sample_confirm_arrival(*, sample: SampleRequest, by: Any) -> SampleRequest:
    """The roaster confirms the sample arrived; the feedback deadline starts counting down."""
    now = timezone.now()
    with transaction.atomic():
        sample, changed = _move(
            sample=sample,
            by=by,
            party="roaster",
            to=SampleStatus.ARRIVED,
            fields={"arrived_at": now, "feedback_due_at": now + datetime.timedelta(days=conf.SAMPLE_FEEDBACK_DAYS)},
        )
        if changed:
            assert sample.feedback_due_at is not None
            _tell(
                sample=sample,
                recipient=sample.producer,
                kind="sample.arrived",
                message=_("Your sample of %(lot)s arrived; feedback is due by %(due)s.")
                % {"lot": sample.lot.name, "due": sample.feedback_due_at.date().isoformat()},
            )
    return sample


def _sheet_of_lot(sheet_id: int, lot_id: int) -> bool:
    """A linked cupping sheet must exist and be a sheet of the sampled lot."""
    from django.apps import apps

    try:
        sheet_model = apps.get_model("cupping", "CuppingSheet")
    except LookupError:  # the cupping app without sheets: accept the number as given
        return True
    return bool(sheet_model.objects.filter(pk=sheet_id, lot_id=lot_id).exists())


def sample_feedback(
    *, sample: SampleRequest, by: Any, score: Any = None, notes: str = "", cupping_sheet_id: Any = None
) -> SampleRequest:
    """The roaster's feedback: a score and notes, or a link to a cupping sheet of the lot."""
    if getattr(by, "pk", None) != sample.roaster_id:
        raise PermissionDenied(_("You cannot do this on this sample request."))
    errors = {}
    value: Decimal | None = None
    if score not in (None, ""):
        try:
            value = Decimal(str(score))
            if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
                errors["feedback_score"] = _("A score is between 0 and 100.")
            else:
                value = value.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["feedback_score"] = _("Enter a number.")
    sheet: int | None = None
    if cupping_sheet_id not in (None, ""):
        try:
            sheet = int(cupping_sheet_id)
            if sheet <= 0:
                raise ValueError
        except (TypeError, ValueError):
            errors["cupping_sheet_id"] = _("Enter the number of a cupping sheet.")
    if sheet is not None and "cupping_sheet_id" not in errors and not _sheet_of_lot(sheet, sample.lot_id):
        errors["cupping_sheet_id"] = _("There is no cupping sheet with this number for this lot.")
    notes = notes.strip()
    if not errors and sheet is None and (value is None or not notes):
        errors["feedback_notes"] = _("Give a score and notes, or link a cupping sheet.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sample, changed = _move(
            sample=sample,
            by=by,
            party="roaster",
            to=SampleStatus.FEEDBACK,
            fields={
                "feedback_at": timezone.now(),
                "feedback_score": value,
                "feedback_notes": notes[:5000],
                "cupping_sheet_id": sheet,
            },
            data={"score": str(value) if value is not None else None, "cupping_sheet_id": sheet},
        )
        if changed:
            _tell(
                sample=sample,
                recipient=sample.producer,
                kind="sample.feedback",
                message=_("Feedback on your sample of %(lot)s has arrived.") % {"lot": sample.lot.name},
            )
    return sample
