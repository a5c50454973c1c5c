"""Writes to the shared tables. Every domain service records its audit trail through here."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.models import AuditEvent, Job, Notification


def audit_log(*, actor: Any, action: str, target: models.Model, data: dict[str, Any] | None = None) -> AuditEvent:
    """Append an audit event. Call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target),  # an instance (or a lazy request.user) is fine
        target_id=str(target.pk),
        data=data or {},
    )


def notify(
    *,
    recipient: Any,
    kind: str,
    message: str,
    url: str = "",
    dedupe_key: str | None = None,
    email: bool = True,
) -> Notification | None:
    """Create an in-site notification and e-mail it after commit.

    With a ``dedupe_key`` the recipient is notified at most once for that key, guaranteed by a
    unique constraint: a second call (a task run twice) returns None and sends nothing.
    """
    try:
        # A savepoint, so a duplicate does not poison the caller's transaction.
        with transaction.atomic():
            note = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                message=message,
                url=url,
                dedupe_key=dedupe_key,
                email_wanted=bool(email and recipient.email),
                email_status=(
                    Notification.EmailStatus.PENDING
                    if email and recipient.email
                    else Notification.EmailStatus.NOT_WANTED
                ),
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if email and recipient.email:
        from core.tasks import send_notification_email

        send_notification_email.delay_on_commit(note.pk)
    return note


def notification_mark_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one (or all) of ``user``'s notifications read; returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def job_create(*, kind: str, owner: Any = None, total: int = 0, params: dict[str, Any] | None = None) -> Job:
    return Job.objects.create(
        kind=kind,
        owner=owner if getattr(owner, "is_authenticated", False) else None,
        total=total,
        params=params or {},
    )


def job_progress(*, job_id: Any, done: int, total: int | None = None, message: str = "") -> None:
    """Report progress. A plain UPDATE outside any long transaction, so pollers see it at once."""
    fields: dict[str, Any] = {"done": done, "status": Job.Status.RUNNING, "updated_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    if message:
        fields["message"] = message
    Job.objects.filter(pk=job_id).exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]).update(**fields)


def job_finish(*, job_id: Any, ok: bool, message: str = "", result: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED if ok else Job.Status.FAILED,
        message=message,
        result=result or {},
        updated_at=timezone.now(),
    )
