"""Writes of competition results: the producer records one, a moderator verifies or rejects it.

Every write checks who is acting, runs in one transaction with its audit row, and announces the
change as ``evidence_changed(kind="competition")`` so the premium (pricing), the claims
(moderation) and the nano-lot alert tag (auctions) follow after commit. The browser pages, the API
and the admin call these functions, so their rules cannot drift apart.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from core.services import audit_log, notify
from core.signals import send_evidence_changed
from lots.models import Lot, LotTag, TagSource
from lots.services import DocumentUpload
from marketplace.competitions.models import (
    ALLOWED_TRANSITIONS,
    FIRST_COMPETITION_YEAR,
    JURY_SCORE_RANGES,
    NAME_REQUIRED,
    CompetitionKind,
    CompetitionResult,
    JuryProtocol,
    ResultStatus,
)

PROVENANCE_TAG = "competition"
REASON_MIN_LENGTH = 5
SCORE_STEP = Decimal("0.01")

__all__ = ["DocumentUpload", "result_create", "result_decide", "result_reject", "result_verify"]


def _is_moderator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "role", None) == Role.MODERATOR)


def _check_document(upload: DocumentUpload) -> str:
    """The custody documents' upload checks (sniffed type, size cap, PDF without scripts)."""
    from lots.services import _check_document as check_custody_document

    try:
        return check_custody_document(upload)
    except ValidationError as exc:
        raise ValidationError({"document": exc.messages}) from exc


def _whole_number(value: Any) -> int | None:
    """An int from an int or its ASCII digits ("๗" is a digit to Python, not to us); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _clean(
    *,
    competition: Any,
    name: Any,
    year: Any,
    category: Any,
    rank: Any,
    jury_score: Any,
    jury_protocol: Any,
    url: Any,
    has_document: bool,
) -> dict[str, Any]:
    """Validate every field at once; a ``ValidationError`` names each bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if competition not in CompetitionKind.values:
        errors["competition"] = _("Choose the competition.")
    values["competition"] = competition
    name = (name or "").strip() if isinstance(name, str) or name is None else name
    if not isinstance(name, str) or len(name) > 200:
        errors["name"] = _("At most 200 characters.")
    elif competition in NAME_REQUIRED and not name:
        errors["name"] = _("Name the contest (for example the region and the organiser).")
    values["name"] = name if isinstance(name, str) else ""
    this_year = timezone.localdate().year
    year = _whole_number(year)
    if year is None or not FIRST_COMPETITION_YEAR <= year <= this_year:
        errors["year"] = _("Give the year of the competition, %(first)s–%(last)s.") % {
            "first": FIRST_COMPETITION_YEAR,
            "last": this_year,
        }
    values["year"] = year
    category = (category or "").strip() if isinstance(category, str) or category is None else None
    if category is None or len(category) > 120:
        errors["category"] = _("At most 120 characters.")
    values["category"] = category or ""
    rank = _whole_number(rank)
    if rank is None or not 1 <= rank <= 1000:
        errors["rank"] = _("Give the lot's rank (1 for the winner).")
    values["rank"] = rank
    if jury_protocol not in JuryProtocol.values:
        errors["jury_protocol"] = _("Choose the form the jury scored on.")
    values["jury_protocol"] = jury_protocol
    score: Decimal | None
    try:
        score = Decimal(str(jury_score).strip()) if jury_score not in (None, "") else None
    except (InvalidOperation, ValueError):
        score = None
    if score is None or not score.is_finite():
        errors["jury_score"] = _("Give the jury score as a number, e.g. 90.31.")
    elif score != score.quantize(SCORE_STEP):
        errors["jury_score"] = _("Give the jury score with at most two decimals.")
    elif jury_protocol in JURY_SCORE_RANGES:
        low, high = JURY_SCORE_RANGES[jury_protocol]
        if not low <= score <= high:
            errors["jury_score"] = _("A score on this form lies between %(low)s and %(high)s.") % {
                "low": low,
                "high": high,
            }
    values["jury_score"] = score
    url = (url or "").strip() if isinstance(url, str) or url is None else None
    if url is None or len(url) > 500:
        errors["url"] = _("At most 500 characters.")
    elif url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = _("Enter the address of the published results (http or https).")
    values["url"] = url or ""
    if not values["url"] and not has_document and "url" not in errors:
        errors["url"] = _("Give a link to the published results or upload a document (or both).")
    if errors:
        raise ValidationError(errors)
    return values


def result_create(
    *,
    lot: Lot,
    by: Any,
    competition: str,
    year: Any,
    rank: Any,
    jury_score: Any,
    jury_protocol: str,
    name: str = "",
    category: str = "",
    url: str = "",
    document: DocumentUpload | None = None,
) -> CompetitionResult:
    """Record a competition result of the producer's own lot; it waits for a moderator."""
    if not (getattr(by, "is_authenticated", False) and by.pk == lot.producer_id):
        raise PermissionDenied(_("Only the producer of this lot can record its competition results."))
    values = _clean(
        competition=competition,
        name=name,
        year=year,
        category=category,
        rank=rank,
        jury_score=jury_score,
        jury_protocol=jury_protocol,
        url=url,
        has_document=document is not None,
    )
    content_type = _check_document(document) if document is not None else ""
    result = CompetitionResult(lot=lot, created_by=by, **values)
    if document is not None:
        result.document_name = document.name[:200]
        result.document_content_type = content_type
        result.document_sha256 = hashlib.sha256(document.data).hexdigest()
    try:
        with transaction.atomic():
            if document is not None:
                # Stored as uploaded: it is evidence, and its hash is recorded with it.
                result.document.save("document", ContentFile(document.data), save=False)
            result.save()
            audit_log(
                actor=by,
                action="competition.result_created",
                target=result,
                data={
                    "lot": lot.pk,
                    "competition": result.competition,
                    "name": result.name,
                    "year": result.year,
                    "category": result.category,
                    "rank": result.rank,
                    "jury_score": str(result.jury_score),
                    "jury_protocol": result.jury_protocol,
                    "url": result.url,
                    "document_sha256": result.document_sha256,
                },
            )
    except IntegrityError as exc:
        if result.document:
            result.document.delete(save=False)
        raise ValidationError(
            {"competition": _("This result is already recorded for the lot (or waiting for a moderator).")}
        ) from exc
    return result


def result_decide(*, result_id: int, by: Any, to: str, reason: str = "") -> CompetitionResult:
    """Verify or reject a result (moderators). Doing what is already done is a quiet no-op."""
    if not _is_moderator(by):
        raise PermissionDenied(_("Only moderators verify competition results."))
    if to not in (ResultStatus.VERIFIED, ResultStatus.REJECTED):
        raise ValidationError({"to": _("Choose verify or reject.")})
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": _("At most 2000 characters.")})
    if to == ResultStatus.REJECTED and len(reason) < REASON_MIN_LENGTH:
        raise ValidationError({"reason": _("Say why the result is rejected.")})
    with transaction.atomic():
        # Lot first, then the result: the order every writer of the lot's tags and premium uses.
        lot_id = CompetitionResult.objects.filter(pk=result_id).values_list("lot_id", flat=True).first()
        if lot_id is None:
            raise ValidationError({"result": _("No such competition result.")})
        Lot.objects.select_for_update().filter(pk=lot_id).first()
        result = CompetitionResult.objects.select_for_update().select_related("lot").get(pk=result_id)
        if result.status == to:
            return result
        if to not in ALLOWED_TRANSITIONS[result.status]:
            raise ValidationError({"to": _("This result cannot move from %(from)s.") % {"from": result.status}})
        previous = result.status
        result.status = to
        result.decided_by = by
        result.decided_at = timezone.now()
        result.decision_reason = reason
        result.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_log(
            actor=by,
            action=f"competition.result_{to}",
            target=result,
            data={"lot": lot_id, "from": previous, "to": to, "reason": reason},
        )
        provenance_tag_sync(lot_id=lot_id)
        send_evidence_changed(
            sender=CompetitionResult,
            lot_id=lot_id,
            kind="competition",
            detail=f"{result.event} rank {result.rank}: {previous} → {to}",
            actor=by,
        )
        if to == ResultStatus.VERIFIED:
            message = _("A moderator verified the competition result of %(lot)s: %(event)s.")
        else:
            message = _("A moderator rejected the competition result of %(lot)s (%(event)s): %(reason)s")
        notify(
            recipient=result.lot.producer,
            kind="competition_result_decided",
            message=message % {"lot": result.lot.name, "event": result.event, "reason": reason},
            url=reverse("competitions:lot_results", args=[lot_id]),
        )
    return result


def result_verify(*, result_id: int, by: Any, reason: str = "") -> CompetitionResult:
    return result_decide(result_id=result_id, by=by, to=ResultStatus.VERIFIED, reason=reason)


def result_reject(*, result_id: int, by: Any, reason: str) -> CompetitionResult:
    return result_decide(result_id=result_id, by=by, to=ResultStatus.REJECTED, reason=reason)


def provenance_tag_sync(*, lot_id: int) -> None:
    """Give a lot with a verified result the ``competition`` tag; take back only the one we gave.

    Call inside the transaction that holds the lot's row lock. A tag that was the automatic
    nano-lot alert becomes provenance (the alert sweep must not remove it while the result
    stands); a moderator's tag is left alone. When the last verified result goes, the provenance
    tag is removed and the auctions app re-checks the alert tag (it listens to "competition").
    """
    verified = CompetitionResult.objects.filter(lot_id=lot_id, status=ResultStatus.VERIFIED).exists()
    tag = LotTag.objects.filter(lot_id=lot_id, tag=PROVENANCE_TAG).first()
    if verified:
        if tag is None:
            LotTag.objects.create(lot_id=lot_id, tag=PROVENANCE_TAG, source=TagSource.COMPETITION_RESULT)
        elif tag.source == TagSource.AUTO:
            LotTag.objects.filter(pk=tag.pk).update(source=TagSource.COMPETITION_RESULT)
        return
    if tag is not None and tag.source == TagSource.COMPETITION_RESULT:
        tag.delete()
