from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.models import Notification


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id: int) -> str:
    """E-mail a notification once.

    The row is locked (skip_locked, so a concurrent duplicate run leaves at once) and marked
    sent in the same transaction as the send. If the worker dies mid-send the transaction rolls
    back with the connection and the requeued task sends it again; only a crash between the SMTP
    server accepting the message and the commit can duplicate it. The lock is on this one
    notification row, which nothing else holds for long.
    """
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if note is None:
            return "already-sent"
        send_mail(
            subject=note.message[:78],
            message=f"{note.message}\n\n{settings.SITE_URL}{note.url}",
            from_email=None,
            recipient_list=[note.recipient.email],
        )
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    return "sent"


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
        Notification.objects.filter(email_wanted=True, emailed_at__isnull=True, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        send_notification_email.delay(pk)
    return len(ids)
