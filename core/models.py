"""Shared infrastructure: the audit trail, exchange rates, job progress, notifications and
API idempotency records. Domain apps write to these only through ``core.services``."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import Currency


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a row of an append-only table."""


class AppendOnlyModel(models.Model):
    """A row that is written once and never updated or deleted through the ORM instance API."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Who did what to which object, and when. Written in the same transaction as the change."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    target = GenericForeignKey("target_type", "target_id")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.action} on {self.target_type_id}:{self.target_id} by {self.actor_id}"


class ExchangeRate(models.Model):
    """How many US dollars one unit of ``currency`` bought on ``valid_on`` (moderators keep it)."""

    currency = models.CharField(max_length=3, choices=Currency.choices)
    usd_per_unit = models.DecimalField(max_digits=20, decimal_places=10)
    valid_on = models.DateField()
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_on"], name="rate_once_per_day"),
            models.CheckConstraint(condition=Q(usd_per_unit__gt=0), name="rate_positive"),
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.usd_per_unit} USD on {self.valid_on}"


class Job(models.Model):
    """Progress of a long background job (an import, a sweep), polled by the page that started it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        # Checked and waiting for its owner to confirm a preview (a cupping import); not finished.
        PREVIEWED = "previewed", _("Waiting for your confirmation")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def polling(self) -> bool:
        """Whether a progress bar should keep asking: not while it waits for its owner."""
        return self.status in {self.Status.PENDING, self.Status.RUNNING}


class Notification(models.Model):
    """An in-site notification. ``dedupe_key`` makes "notify once" a database guarantee."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60)
    message = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class EmailStatus(models.TextChoices):
        NOT_WANTED = "not_wanted", _("Not e-mailed")
        PENDING = "pending", _("Owed")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # True when the recipient should also get it by e-mail; while ``email_status`` is pending it is
    # still owed (the sweep in core.tasks resends it if the enqueue was lost, e.g. with Redis down).
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # A send that can never work (a refused address, a bad header) or that kept failing ends in
    # ``failed`` with the reason; nothing picks it up again.
    email_status = models.CharField(max_length=12, choices=EmailStatus.choices, default=EmailStatus.NOT_WANTED)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_once_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status", "created_at"], name="notification_email_owed"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class IdempotencyRecord(models.Model):
    """The first response to a money-moving POST, replayed for a repeated ``Idempotency-Key``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    scope = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_once")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
