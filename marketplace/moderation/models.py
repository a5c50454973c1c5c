"""Micro-lot claims, their computed hallmark results, and the append-only trail around them.

A claim moves through ``CLAIM_TRANSITIONS`` only via ``moderation.services``; decisions, producer
replies and evidence changes are append-only rows, so what happened to a claim can always be read
back in order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel


class ClaimKind(models.TextChoices):
    MICRO = "micro", _("Micro-lot")
    NANO = "nano", _("Nano-lot")


class Isolation(models.TextChoices):
    GEOGRAPHIC = "geographic", _("Geographic (a plot or a named group)")
    PROCESS = "process", _("Process (a distinct fermentation or drying)")
    VARIETAL = "varietal", _("Varietal (a single variety)")
    COMBINATION = "combination", _("A combination of these")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a moderator")
    EVIDENCE_REQUESTED = "evidence_requested", _("More evidence requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# A claim that is not rejected is "active": a lot has at most one (constraint below).
ACTIVE_STATUSES = (ClaimStatus.PENDING, ClaimStatus.EVIDENCE_REQUESTED, ClaimStatus.APPROVED)

CLAIM_TRANSITIONS: dict[str, set[str]] = {
    ClaimStatus.PENDING: {ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.EVIDENCE_REQUESTED},
    ClaimStatus.EVIDENCE_REQUESTED: {ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.PENDING},
    # approved → pending is the re-open on changed evidence; approved → rejected revokes.
    ClaimStatus.APPROVED: {ClaimStatus.PENDING, ClaimStatus.REJECTED},
    ClaimStatus.REJECTED: set(),
}


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_EVIDENCE = "request_evidence", _("Ask for more evidence")


DECISION_TARGET: dict[str, str] = {
    Decision.APPROVE: ClaimStatus.APPROVED,
    Decision.REJECT: ClaimStatus.REJECTED,
    Decision.REQUEST_EVIDENCE: ClaimStatus.EVIDENCE_REQUESTED,
}


class HallmarkKey(models.TextChoices):
    PROVENANCE = "provenance", _("Provenance")
    VOLUME = "volume", _("Volume")
    SEPARATION = "separation", _("Separation")
    SCORE = "score", _("Score")
    PREMIUM = "premium", _("Premium")
    DOCUMENTATION = "documentation", _("Documentation")
    INTEGRITY = "integrity", _("Integrity")
    DISCLOSURE = "disclosure", _("Disclosure")


class HallmarkOutcome(models.TextChoices):
    PASS = "pass", _("Pass")
    WARN = "warn", _("Warning")
    FAIL = "fail", _("Fail")


class MicroLotClaim(models.Model):
    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="claims")
    producer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(_("claim"), max_length=5, choices=ClaimKind.choices)
    isolation = models.CharField(_("how the lot is isolated"), max_length=12, choices=Isolation.choices)
    statement = models.TextField(_("how the lot was kept separate"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.PENDING, db_index=True
    )
    # Bumped on every evidence change, so a moderator's approval can insist on the evidence they saw.
    evidence_version = models.PositiveIntegerField(default=1)
    evidence_changed_at = models.DateTimeField(null=True, blank=True)
    hallmarks_computed_at = models.DateTimeField(null=True, blank=True)
    # The evidence_version the stored hallmark results were computed from (0: never computed).
    hallmarks_version = models.PositiveIntegerField(default=0)
    # Denormalised from the hallmark results so the queue sorts by risk in SQL.
    fail_count = models.PositiveSmallIntegerField(default=0)
    warn_count = models.PositiveSmallIntegerField(default=0)
    reopened_count = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(auto_now_add=True)
    # When the claim last started waiting for a moderator: the queue's age.
    waiting_since = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lot"], condition=~Q(status="rejected"), name="claim_one_active_per_lot"),
        ]
        indexes = [models.Index(fields=["status", "fail_count", "warn_count", "waiting_since"])]
        verbose_name = _("micro-lot claim")
        verbose_name_plural = _("micro-lot claims")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} claim #{self.pk} on lot {self.lot_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class HallmarkResult(models.Model):
    """The latest computed result of one hallmark for one claim (recomputed in place)."""

    claim = models.ForeignKey(MicroLotClaim, on_delete=models.CASCADE, related_name="hallmarks")
    key = models.CharField(max_length=20, choices=HallmarkKey.choices)
    result = models.CharField(max_length=4, choices=HallmarkOutcome.choices)
    reason = models.TextField()  # in settings.LANGUAGE_CODE
    # language code → the reason in that language, written when the result is computed.
    reasons = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "id"]
        constraints = [models.UniqueConstraint(fields=["claim", "key"], name="hallmark_once_per_claim")]
        verbose_name = _("hallmark result")
        verbose_name_plural = _("hallmark results")

    def __str__(self) -> str:
        return f"{self.key}: {self.result}"

    @property
    def display_reason(self) -> str:
        """The reason in the reader's language, else in the default language."""
        return (self.reasons or {}).get((get_language() or "")[:2]) or self.reason


class ClaimDecision(AppendOnlyModel):
    claim = models.ForeignKey(MicroLotClaim, on_delete=models.CASCADE, related_name="decisions")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("reason"), max_length=5000)
    from_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    evidence_version = models.PositiveIntegerField()
    # The custody chain's head the moderator decided on (lots.Lot.custody_count/_head_hash, read
    # under the lot lock): lots.custody.verify holds the chain against it, so events removed after
    # the decision show. Null on decisions recorded before heads were anchored.
    custody_count = models.PositiveIntegerField(null=True, blank=True)
    custody_head_hash = models.CharField(max_length=64, blank=True, default="")
    # An approval over failing hallmarks: hallmark key → the moderator's reason for approving despite it.
    overrides = models.JSONField(_("approved despite"), default=dict, blank=True)
    # The hallmark results the decision was taken on: key → {"result": ..., "reason": ...}.
    hallmarks = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]
        verbose_name = _("claim decision")
        verbose_name_plural = _("claim decisions")

    def __str__(self) -> str:
        return f"{self.decision} on claim {self.claim_id}"

    @property
    def override_list(self) -> list[dict[str, str]]:
        """The overrides in hallmark order, each with its label: for pages and the API."""
        order = {k: i for i, k in enumerate(HallmarkKey.values)}
        return [
            {"key": key, "label": str(HallmarkKey(key).label) if key in order else key, "reason": reason}
            for key, reason in sorted((self.overrides or {}).items(), key=lambda kv: order.get(kv[0], 99))
        ]


class ClaimReply(AppendOnlyModel):
    """The producer's answer to a decision (new evidence itself goes through the lots/cupping pages)."""

    claim = models.ForeignKey(MicroLotClaim, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]
        verbose_name = _("claim reply")
        verbose_name_plural = _("claim replies")

    def __str__(self) -> str:
        return f"reply on claim {self.claim_id}"


class EvidenceChange(AppendOnlyModel):
    """What changed in a claim's evidence, and whether it re-opened an approved claim."""

    claim = models.ForeignKey(MicroLotClaim, on_delete=models.CASCADE, related_name="evidence_changes")
    kind = models.CharField(max_length=20)
    detail = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened = models.BooleanField(default=False)
    evidence_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]
        verbose_name = _("evidence change")
        verbose_name_plural = _("evidence changes")

    def __str__(self) -> str:
        return f"{self.kind} on claim {self.claim_id}"
