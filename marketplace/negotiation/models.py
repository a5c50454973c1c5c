"""Sample requests, negotiations with alternating offers, and the orders (contracts) they create.

Every state lives in a ``TextChoices`` plus a transition map; each move goes through one guarded
service in ``services.py`` and leaves an append-only event row.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from core.money import KG_PER_LB, Currency, Incoterm, PriceUnit, quantize_price


def private_storage() -> Any:
    return storages["private"]


# --- Orders (contracts) -----------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}


class OrderSource(models.TextChoices):
    NEGOTIATION = "negotiation", _("Negotiation")
    AUCTION = "auction", _("Auction")


class Order(models.Model):
    """A contract for part or all of a lot. Its quantity is reserved on the lot while it stands."""

    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_bought")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_sold")
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.AWAITING_PAYMENT, db_index=True
    )
    quantity_kg = models.DecimalField(_("quantity (kg)"), max_digits=10, decimal_places=2)
    # The price as agreed (amount per ``price_unit``) and the same price per kg, four places.
    price = models.DecimalField(_("price as agreed"), max_digits=14, decimal_places=4)
    price_unit = models.CharField(_("price unit"), max_length=2, choices=PriceUnit.choices, default=PriceUnit.KG)
    price_per_kg = models.DecimalField(_("price per kg"), max_digits=14, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    incoterm = models.CharField(_("incoterm"), max_length=3, choices=Incoterm.choices)
    incoterm_place = models.CharField(_("incoterm place"), max_length=200, blank=True)
    shipment_window = models.CharField(_("shipment window"), max_length=200, blank=True)
    conditions = models.TextField(_("conditions"), blank=True, max_length=2000)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    fee_percent = models.DecimalField(_("marketplace fee (%)"), max_digits=5, decimal_places=2)
    marketplace_fee = models.DecimalField(_("marketplace fee"), max_digits=16, decimal_places=2)
    producer_receives = models.DecimalField(_("producer receives"), max_digits=16, decimal_places=2)
    source = models.CharField(_("source"), max_length=20, choices=OrderSource.choices)
    source_id = models.PositiveBigIntegerField(_("source id"))
    claim_window_days = models.PositiveSmallIntegerField(_("claim window (days)"))
    courier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking = models.CharField(_("tracking or B/L number"), max_length=100, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One negotiation or auction never makes two orders, however often it is retried.
            models.UniqueConstraint(fields=["source", "source_id"], name="order_once_per_source"),
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(price_per_kg__gt=0), name="order_price_positive"),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [models.Index(fields=["buyer", "status"]), models.Index(fields=["seller", "status"])]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"#{self.pk} {self.lot_id} {self.quantity_kg} kg"

    @property
    def number(self) -> str:
        return f"MLM-{self.pk:06d}"

    @property
    def price_per_lb(self) -> Decimal:
        return quantize_price(self.price_per_kg * KG_PER_LB)

    @property
    def is_open(self) -> bool:
        return self.status not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


ORDER_EVENT_LABELS = {
    "created": _("Contract made"),
    "paid": _("Paid"),
    "shipped": _("Shipped"),
    "documents_added": _("Shipping documents added"),
    "delivered": _("Delivery confirmed"),
    "claim_opened": _("Quality claim opened"),
    "claim_resolved": _("Quality claim decided"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
}


class OrderEvent(AppendOnlyModel):
    """One move on an order: who, what, when. Never updated or deleted."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"

    @property
    def label(self) -> str:
        return str(ORDER_EVENT_LABELS.get(self.action, self.action))


def shipment_document_path(instance: ShipmentDocument, filename: str) -> str:
    # Random names: nothing from the uploader's file name reaches the storage.
    return f"shipments/{uuid.uuid4().hex}"


class ShipmentDocument(AppendOnlyModel):
    """A shipping document (B/L, phytosanitary, packing list), stored privately with its SHA-256."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=shipment_document_path, storage=private_storage)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("shipment document")
        verbose_name_plural = _("shipment documents")

    def __str__(self) -> str:
        return self.name


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class ClaimOutcome(models.TextChoices):
    ALLOWANCE = "allowance", _("Allowance granted")
    REJECTED = "rejected", _("Claim rejected")
    REPLACED = "replaced", _("Coffee replaced or returned")


class QualityClaim(models.Model):
    """A roaster's quality claim on a delivered order, decided by a moderator."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="claims")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what is wrong"), max_length=5000)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ClaimOutcome.choices, blank=True)
    resolution = models.TextField(_("reason"), blank=True, max_length=5000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="open"), name="one_open_claim_per_order"),
        ]
        verbose_name = _("quality claim")
        verbose_name_plural = _("quality claims")

    def __str__(self) -> str:
        return f"claim {self.pk} on order {self.order_id}"


# --- Negotiations -----------------------------------------------------------------------------


class NegotiationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COUNTERED = "countered", _("Countered")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


ACTIVE_NEGOTIATION = (NegotiationStatus.OPEN, NegotiationStatus.COUNTERED)


class Side(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")


class Negotiation(models.Model):
    """A roaster and a producer trading offers on one lot; ``turn`` says who must answer."""

    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="negotiations")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="negotiations_bought")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="negotiations_sold")
    status = models.CharField(
        _("status"), max_length=10, choices=NegotiationStatus.choices, default=NegotiationStatus.OPEN, db_index=True
    )
    turn = models.CharField(_("whose turn"), max_length=6, choices=Side.choices, default=Side.SELLER)
    # The offer on the table (the latest); its expiry is copied here for the periodic sweep.
    current_offer = models.ForeignKey("Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    # Set when another contract took so much of the lot that the offer on the table no longer fits.
    no_longer_fits_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            # A roaster keeps one live negotiation per lot; a new one starts after it closes.
            models.UniqueConstraint(
                fields=["lot", "buyer"],
                condition=Q(status__in=["open", "countered"]),
                name="one_live_negotiation_per_buyer_and_lot",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]
        verbose_name = _("negotiation")
        verbose_name_plural = _("negotiations")

    def __str__(self) -> str:
        return f"negotiation {self.pk} on lot {self.lot_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_NEGOTIATION

    def side_of(self, user: Any) -> str | None:
        if getattr(user, "pk", None) == self.buyer_id:
            return Side.BUYER
        if getattr(user, "pk", None) == self.seller_id:
            return Side.SELLER
        return None


class Offer(AppendOnlyModel):
    """One offer in a negotiation. A counter-offer is a new row; nothing is ever edited."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="offers")
    seq = models.PositiveIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=6, choices=Side.choices)
    quantity_kg = models.DecimalField(_("quantity (kg)"), max_digits=10, decimal_places=2)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    price_unit = models.CharField(_("per"), max_length=2, choices=PriceUnit.choices)
    price_per_kg = models.DecimalField(max_digits=14, decimal_places=4)
    incoterm = models.CharField(_("incoterm"), max_length=3, choices=Incoterm.choices)
    incoterm_place = models.CharField(_("incoterm place"), max_length=200, blank=True)
    shipment_window = models.CharField(_("shipment window"), max_length=200, blank=True)
    condition = models.CharField(_("condition"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["negotiation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["negotiation", "seq"], name="offer_seq_unique"),
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="offer_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="offer_price_positive"),
        ]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return f"offer {self.negotiation_id}#{self.seq}"

    @property
    def price_per_lb(self) -> Decimal:
        return quantize_price(self.price_per_kg * KG_PER_LB)


class NegotiationEvent(AppendOnlyModel):
    """One move in a negotiation (opened, countered, accepted…), shown as the thread."""

    class Action(models.TextChoices):
        OPENED = "opened", _("made an offer")
        COUNTERED = "countered", _("countered")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrew")
        EXPIRED = "expired", _("expired")
        NO_LONGER_FITS = "no_longer_fits", _("no longer fits the lot")

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("negotiation event")
        verbose_name_plural = _("negotiation events")

    def __str__(self) -> str:
        return f"{self.negotiation_id} {self.action}"


# --- Samples ----------------------------------------------------------------------------------


class SampleTerms(models.Model):
    """What a producer charges for a sample (the payments app charges it later)."""

    producer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sample_terms")
    fee = models.DecimalField(
        _("price of a sample"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(fee__gte=0), name="sample_terms_fee_not_negative")]
        verbose_name = _("sample terms")
        verbose_name_plural = _("sample terms")

    def __str__(self) -> str:
        return f"{self.fee} {self.currency}"


class SampleKind(models.TextChoices):
    OFFER = "offer", _("Offer sample")
    PRE_SHIPMENT = "pre_shipment", _("Pre-shipment sample")


class SampleStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SHIPPED = "shipped", _("Shipped")
    ARRIVED = "arrived", _("Arrived")
    FEEDBACK = "feedback", _("Feedback given")


SAMPLE_TRANSITIONS: dict[str, set[str]] = {
    SampleStatus.REQUESTED: {SampleStatus.ACCEPTED, SampleStatus.DECLINED},
    SampleStatus.ACCEPTED: {SampleStatus.SHIPPED},
    SampleStatus.SHIPPED: {SampleStatus.ARRIVED},
    SampleStatus.ARRIVED: {SampleStatus.FEEDBACK},
    SampleStatus.DECLINED: set(),
    SampleStatus.FEEDBACK: set(),
}


class SampleRequest(models.Model):
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="sample_requests")
    roaster = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="samples_requested")
    producer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="samples_received")
    kind = models.CharField(_("type"), max_length=15, choices=SampleKind.choices, default=SampleKind.OFFER)
    grams = models.PositiveIntegerField(_("weight (g)"), validators=[MinValueValidator(1), MaxValueValidator(100000)])
    message = models.CharField(_("message"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SampleStatus.choices, default=SampleStatus.REQUESTED, db_index=True
    )
    # Set from the producer's sample price when requested; the payments app charges it.
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    decline_reason = models.CharField(_("reason"), max_length=500, blank=True)
    courier = models.CharField(_("courier"), max_length=100, blank=True)
    tracking = models.CharField(_("tracking number"), max_length=100, blank=True)
    feedback_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    feedback_score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    feedback_notes = models.TextField(_("notes"), blank=True, max_length=5000)
    cupping_sheet_id = models.PositiveBigIntegerField(_("cupping sheet id"), null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(grams__gt=0), name="sample_grams_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="sample_fee_not_negative"),
        ]
        indexes = [models.Index(fields=["roaster", "status"]), models.Index(fields=["producer", "status"])]
        verbose_name = _("sample request")
        verbose_name_plural = _("sample requests")

    def __str__(self) -> str:
        return f"sample {self.pk} of lot {self.lot_id}"

    @property
    def feedback_late(self) -> bool:
        """Feedback is (or was) overdue: not given by the deadline."""
        from django.utils import timezone

        if self.feedback_due_at is None:
            return False
        if self.feedback_at is not None:
            return self.feedback_at > self.feedback_due_at
        return timezone.now() > self.feedback_due_at
