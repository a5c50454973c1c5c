from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from core.models import Notification


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id: int) -> str:
    """E-mail a notification once. Claiming ``emailed_at`` first makes a second run a no-op.

    If sending fails the claim is released so the retry can send it.
    """
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return "already-sent"
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        send_mail(
            subject=note.message[:78],
            message=f"{note.message}\n\n{settings.SITE_URL}{note.url}",
            from_email=None,
            recipient_list=[note.recipient.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return "sent"


@shared_task
def record_ping(job_id: str) -> str:
    """A tiny task used by health checks and tests: marks a job finished (idempotent)."""
    from core.models import Job

    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.SUCCEEDED, done=1, total=1, updated_at=timezone.now()
    )
    return "pong"
