"""Payments for sample fees and orders, their attempts and refunds, processed webhook events,
the producer payout ledger and each lot's payment terms.

Orders and sample requests belong to the negotiation app; a payment points at one of them by
kind and id (as ``Order.source``/``source_id`` do) so this app never writes into their tables.
The payment status changes only in ``services.py``, under a row lock, with an audit event.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from core.money import Currency


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PENDING = "pending", _("Pending")
    # Part of the amount arrived (bank transfers may come in instalments); the rest is still due.
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class PaymentKind(models.TextChoices):
    SAMPLE_FEE = "sample_fee", _("Sample fee")
    FULL = "full", _("Full payment")
    DEPOSIT = "deposit", _("Deposit")
    BALANCE = "balance", _("Balance")


class SubjectKind(models.TextChoices):
    ORDER = "order", _("Order")
    SAMPLE = "sample", _("Sample request")


class Provider(models.TextChoices):
    STRIPE = "stripe", _("Card (Stripe)")
    OFFLINE = "offline", _("Bank transfer")


class Payment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=PaymentKind.choices)
    subject_kind = models.CharField(_("for"), max_length=8, choices=SubjectKind.choices)
    subject_id = models.PositiveBigIntegerField(_("order or sample request id"))
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="payments")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_made")
    payee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_received")
    provider = models.CharField(_("method"), max_length=10, choices=Provider.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID, db_index=True
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    fee_amount = models.DecimalField(_("marketplace fee"), max_digits=16, decimal_places=2, default=Decimal("0"))
    producer_amount = models.DecimalField(_("producer receives"), max_digits=16, decimal_places=2)
    amount_paid = models.DecimalField(_("paid"), max_digits=16, decimal_places=2, default=Decimal("0"))
    amount_refunded = models.DecimalField(_("refunded"), max_digits=16, decimal_places=2, default=Decimal("0"))
    attempts = models.PositiveIntegerField(default=0)
    intent_id = models.CharField(_("payment reference"), max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["subject_kind", "subject_id", "kind"], name="payment_once_per_subject"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="payment_paid_not_negative"),
            models.CheckConstraint(condition=Q(amount_refunded__gte=0), name="payment_refunded_not_negative"),
            # The last line of defence: no code path can record refunds above what was paid.
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_paid")), name="payment_refund_not_above_paid"
            ),
            models.CheckConstraint(
                condition=Q(producer_amount=F("amount") - F("fee_amount")), name="payment_split_adds_up"
            ),
        ]
        indexes = [models.Index(fields=["payer", "status"]), models.Index(fields=["payee", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.get_status_display()})"

    @property
    def refundable(self) -> Decimal:
        return self.amount_paid - self.amount_refunded

    @property
    def amount_due(self) -> Decimal:
        """What is still to be paid (refunds do not make money due again)."""
        return max(self.amount - self.amount_paid, Decimal("0"))

    @property
    def is_settled(self) -> bool:
        return self.status in {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}


class PaymentAttempt(models.Model):
    """One try at charging a payment; its idempotency key is derived from payment and number."""

    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        REQUIRES_ACTION = "requires_action", _("Waiting for the buyer")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STARTED)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Statuses in which the attempt may still charge the card: while one exists, no other
    # attempt may start (two tabs, or a retried request, would otherwise charge twice).
    LIVE = (Status.STARTED, Status.REQUIRES_ACTION, Status.PROCESSING)

    class Meta:
        ordering = ["payment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "number"], name="attempt_number_once"),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["started", "requires_action", "processing"]),
                name="attempt_one_live_per_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} #{self.number} {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class BankTransfer(AppendOnlyModel):
    """One bank transfer a moderator recorded as received for an offline payment.

    Append-only: transfers accumulate (a buyer may pay in instalments), the payment's
    ``amount_paid`` is their total, and each receipt credits the producer's ledger for its share.
    A bank reference is recorded once per payment, so a form submitted twice counts once.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transfers")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    reference = models.CharField(_("bank reference"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("bank transfer")
        verbose_name_plural = _("bank transfers")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.UniqueConstraint(
                fields=["payment", "reference"], condition=~Q(reference=""), name="transfer_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.reference}".strip()


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    provider_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"


class ProcessedEvent(models.Model):
    """A webhook event id seen once; a redelivery hits the unique constraint and is a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class PayoutEntry(AppendOnlyModel):
    """What the marketplace owes a producer: credits when money arrives, debits on refunds.

    Append-only; ``dedupe_key`` makes each entry happen once however often a service re-runs.
    """

    class Kind(models.TextChoices):
        CREDIT = "credit", _("Credit")
        DEBIT = "debit", _("Debit")

    producer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_entries")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="payout_entries")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    memo = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payout ledger entry")
        verbose_name_plural = _("payout ledger")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.kind == self.Kind.CREDIT else -self.amount


class PaymentMode(models.TextChoices):
    FULL = "full", _("Full payment when the contract is signed")
    DEPOSIT = "deposit", _("Deposit now, balance later")


class LotPaymentTerms(models.Model):
    """The producer's choice, per lot, of a deposit or full payment for orders."""

    lot = models.OneToOneField("lots.Lot", on_delete=models.CASCADE, related_name="payment_terms")
    mode = models.CharField(_("payment"), max_length=8, choices=PaymentMode.choices, default=PaymentMode.FULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lot payment terms")
        verbose_name_plural = _("lot payment terms")

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.mode}"
