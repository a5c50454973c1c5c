from __future__ import annotations

import datetime
import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.models import Notification
from core.text import email_subject

logger = logging.getLogger(__name__)


# Attempts per notification e-mail, counting Celery's retries and the sweep's re-enqueues alike.
EMAIL_MAX_ATTEMPTS = 6


def _is_permanent(exc: BaseException) -> bool:
    """Would sending again ever help? Only for a network or server hiccup.

    A refused recipient or sender and any 5xx answer are final, as is every error that is not
    about the connection at all (a BadHeaderError, an encoding error, a bug): those would fail the
    same way on every retry.
    """
    if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError)):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return not isinstance(exc, (ConnectionError, TimeoutError, OSError))


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=EMAIL_MAX_ATTEMPTS - 1)
def send_notification_email(notification_id: int) -> str:
    """E-mail a notification once; a send that cannot work ends the row in ``failed``.

    The row is locked (skip_locked, so a concurrent duplicate run leaves at once) and marked
    sent in the same transaction as the send. If the worker dies mid-send the transaction rolls
    back with the connection and the requeued task sends it again; only a crash between the SMTP
    server accepting the message and the commit can duplicate it. The lock is on this one
    notification row, which nothing else holds for long.

    A failed send is counted (with its reason) in that same transaction, which then commits; a
    transient error is raised afterwards for Celery's bounded retry, a permanent one (or the
    last allowed attempt) marks the row ``failed`` and is not raised, so nothing re-picks it.
    """
    owed = [Notification.EmailStatus.PENDING, Notification.EmailStatus.NOT_WANTED]
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True, email_status__in=owed)
            .first()
        )
        if note is None:
            return "already-sent"
        try:
            send_mail(
                subject=email_subject(note.message),
                message=f"{note.message}\n\n{settings.SITE_URL}{note.url}",
                from_email=None,
                recipient_list=[note.recipient.email],
            )
        except Exception as exc:
            attempts = note.email_attempts + 1
            give_up = _is_permanent(exc) or attempts >= EMAIL_MAX_ATTEMPTS
            Notification.objects.filter(pk=note.pk).update(
                email_attempts=attempts,
                email_error=_reason(exc),
                email_status=Notification.EmailStatus.FAILED if give_up else note.email_status,
            )
            error: BaseException = exc
        else:
            Notification.objects.filter(pk=note.pk).update(
                emailed_at=timezone.now(),
                email_status=Notification.EmailStatus.SENT,
                email_attempts=note.email_attempts + 1,
                email_error="",
            )
            return "sent"
    if give_up:
        logger.warning(
            "Notification %s e-mail failed for good after %s attempt(s): %s", note.pk, attempts, _reason(error)
        )
        return "failed"
    raise error


@shared_task
def record_ping(job_id: str) -> str:
    """A tiny task used by health checks and tests: marks a job finished (idempotent)."""
    from core.models import Job

    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.SUCCEEDED, done=1, total=1, updated_at=timezone.now()
    )
    return "pong"


@shared_task
def notifications_resend_unsent(older_than_minutes: int = 2) -> int:
    """Re-enqueue e-mails that are owed but were never sent (their enqueue was lost while the
    broker was down, or the worker died). Sending is idempotent, so a duplicate enqueue is harmless."""
    cutoff = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    ids = list(
        # Failed rows are not pending, and every attempt counts: a poison row is never re-picked
        # endlessly. (Rows the retry is still working on may be enqueued again: sending is
        # idempotent, and those attempts count against the same bound.)
        Notification.objects.filter(
            email_status=Notification.EmailStatus.PENDING,
            emailed_at__isnull=True,
            email_attempts__lt=EMAIL_MAX_ATTEMPTS,
            created_at__lt=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        send_notification_email.delay(pk)
    return len(ids)
