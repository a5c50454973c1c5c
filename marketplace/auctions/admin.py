"""Admin for staff: auctions and their lots are viewable; the bid history is read-only.

Bids, prices and closing only change through the services (row locks, audit), never here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from marketplace.auctions.models import Auction, AuctionLot, Bid


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuctionLotInline(ReadOnlyMixin, admin.TabularInline):
    model = AuctionLot
    extra = 0
    fields = (
        "position",
        "lot",
        "quantity_kg",
        "opening_price_per_kg",
        "reserve_price_per_kg",
        "current_price_per_kg",
        "leader",
        "bid_count",
        "ends_at",
        "status",
        "unsold_reason",
        "order_id",
    )
    readonly_fields = fields
    show_change_link = True


@admin.register(Auction)
class AuctionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "status", "closing_mode", "starts_at", "ends_at", "created_by"]
    list_filter = ["status", "closing_mode", "currency"]
    search_fields = ["title", "items__lot__name", "items__lot__code"]
    date_hierarchy = "starts_at"
    inlines = [AuctionLotInline]
    list_select_related = ["created_by"]


class BidInline(ReadOnlyMixin, admin.TabularInline):
    model = Bid
    extra = 0
    fields = ("seq", "bidder", "kind", "amount_per_kg", "max_amount_per_kg", "placed_at")
    readonly_fields = fields
    ordering = ["seq"]


@admin.register(AuctionLot)
class AuctionLotAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["auction", "lot", "status", "current_price_per_kg", "bid_count", "ends_at"]
    list_filter = ["status", "unsold_reason"]
    search_fields = ["lot__name", "lot__code", "auction__title"]
    list_select_related = ["auction", "lot"]
    inlines = [BidInline]


@admin.register(Bid)
class BidAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["item", "seq", "bidder", "kind", "amount_per_kg", "placed_at"]
    list_filter = ["kind"]
    search_fields = ["bidder__email", "item__lot__name"]
    list_select_related = ["item", "bidder"]
