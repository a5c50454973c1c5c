"""Auctions of listed lots (one lot, or an event of several), their lots and the bid history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from core.money import Currency
from marketplace.auctions import conf
from marketplace.auctions.rules import BidKind as _BidKind
from marketplace.auctions.rules import Increment


class ClosingMode(models.TextChoices):
    PER_LOT = "per_lot", _("Per lot (soft close)")
    EVENT_CLOCK = "event_clock", _("Event clock (Cup of Excellence style)")


class AuctionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SOLD = "sold", _("Sold")
    UNSOLD = "unsold", _("Not sold")
    CANCELLED = "cancelled", _("Cancelled")


class UnsoldReason(models.TextChoices):
    NONE = "", "—"
    NO_BIDS = "no_bids", _("No bids")
    RESERVE_NOT_MET = "reserve_not_met", _("Reserve not met")
    LOT_UNAVAILABLE = "lot_unavailable", _("The lot was no longer available")


class BidKind(models.TextChoices):
    BID = _BidKind.BID, _("Bid")
    PROXY = _BidKind.PROXY, _("Automatic bid")
    MAX_RAISE = _BidKind.MAX_RAISE, _("Raised maximum")


class Auction(models.Model):
    """A sale by ascending bids of one or more listed lots, all in one currency and increment rule.

    Per-lot soft close: ``ends_at`` is the scheduled end and each lot keeps its own live end (a
    late bid moves it). Event clock (DOMAIN.md §9, Cup of Excellence): there is no scheduled end
    to snipe. ``ends_at`` is an optional *latest end* that only closes lots nobody bid on; once
    every lot has a bid one clock runs, kept equal on every lot's ``ends_at``, and any bid on any
    lot resets it.
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auctions_created")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    closing_mode = models.CharField(
        _("closing mode"), max_length=12, choices=ClosingMode.choices, default=ClosingMode.PER_LOT
    )
    extension_minutes = models.PositiveSmallIntegerField(
        _("soft close (minutes)"),
        default=conf.DEFAULT_EXTENSION_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("A bid this close to the end extends it to this many minutes after the bid."),
    )
    increment_per_kg = models.DecimalField(_("minimum increment per kg"), max_digits=14, decimal_places=4)
    # Optional steps by price level: [["from price", "step"], ...]; below the first level the
    # fixed increment applies.
    increment_table = models.JSONField(_("increment steps by price"), default=list, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(
        _("ends at"),
        null=True,
        blank=True,
        help_text=_(
            "Per-lot soft close: the scheduled end. Event clock: an optional latest end for lots without a bid."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AuctionStatus.choices, default=AuctionStatus.OPEN, db_index=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="auction_ends_after_start",
            ),
            # Only the event clock may run without a scheduled end.
            models.CheckConstraint(
                condition=Q(closing_mode="event_clock") | Q(ends_at__isnull=False), name="auction_per_lot_has_end"
            ),
            models.CheckConstraint(condition=Q(increment_per_kg__gt=0), name="auction_increment_positive"),
            models.CheckConstraint(
                condition=Q(extension_minutes__gte=1) & Q(extension_minutes__lte=60),
                name="auction_extension_range",
            ),
        ]
        verbose_name = _("auction")
        verbose_name_plural = _("auctions")

    def __str__(self) -> str:
        return self.title

    @property
    def increment(self) -> Increment:
        return Increment.from_data(self.increment_per_kg, self.increment_table)


class AuctionLot(models.Model):
    """One lot in an auction: its prices, its live end and its standing bid."""

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="items")
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="auction_items")
    position = models.PositiveSmallIntegerField(default=1)
    quantity_kg = models.DecimalField(_("quantity (kg)"), max_digits=10, decimal_places=2)
    opening_price_per_kg = models.DecimalField(_("opening price per kg"), max_digits=14, decimal_places=4)
    # Hidden from bidders: only the seller and moderators see it.
    reserve_price_per_kg = models.DecimalField(
        _("reserve price per kg"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    # The live end; None while an event clock waits for every lot to get a bid (no latest end).
    ends_at = models.DateTimeField(null=True, blank=True)
    current_price_per_kg = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_max_per_kg = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    bid_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN, db_index=True)
    unsold_reason = models.CharField(max_length=20, choices=UnsoldReason.choices, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    order_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["auction", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "lot"], name="auction_lot_once"),
            # A lot is on at most one running auction at a time.
            models.UniqueConstraint(fields=["lot"], condition=Q(status="open"), name="auction_lot_one_open"),
            models.CheckConstraint(condition=Q(opening_price_per_kg__gt=0), name="auction_lot_opening_positive"),
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="auction_lot_quantity_positive"),
            models.CheckConstraint(
                condition=Q(reserve_price_per_kg__isnull=True) | Q(reserve_price_per_kg__gt=0),
                name="auction_lot_reserve_positive",
            ),
            models.CheckConstraint(
                condition=Q(current_price_per_kg__isnull=True)
                | Q(current_price_per_kg__lte=models.F("leader_max_per_kg")),
                name="auction_lot_price_within_leader_max",
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_at"])]
        verbose_name = _("auctioned lot")
        verbose_name_plural = _("auctioned lots")

    def __str__(self) -> str:
        return f"{self.auction_id}/{self.position} {self.lot_id}"

    @property
    def reserve_met(self) -> bool:
        reserve = self.reserve_price_per_kg
        return reserve is None or (self.current_price_per_kg is not None and self.current_price_per_kg >= reserve)

    @property
    def total_at_current_price(self) -> Decimal | None:
        if self.current_price_per_kg is None:
            return None
        return self.current_price_per_kg * self.quantity_kg


class Bid(AppendOnlyModel):
    """One row of bid history; ``seq`` numbers the rows of one auctioned lot without gaps."""

    item = models.ForeignKey(AuctionLot, on_delete=models.CASCADE, related_name="bids")
    bidder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auction_bids")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=BidKind.choices, default=BidKind.BID)
    amount_per_kg = models.DecimalField(max_digits=14, decimal_places=4)
    max_amount_per_kg = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    placed_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "seq"]
        constraints = [
            # Two bids can never take the same place in the history: a lost update would fail here.
            models.UniqueConstraint(fields=["item", "seq"], name="bid_seq_unique"),
            models.CheckConstraint(condition=Q(amount_per_kg__gt=0), name="bid_amount_positive"),
        ]
        indexes = [models.Index(fields=["bidder", "item"])]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")

    def __str__(self) -> str:
        return f"#{self.seq} {self.amount_per_kg}"
