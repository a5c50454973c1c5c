"""Admin for staff: read-mostly views; state changes go through the services (admin actions)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from marketplace.negotiation import services
from marketplace.negotiation.models import (
    Negotiation,
    NegotiationEvent,
    Offer,
    Order,
    OrderEvent,
    QualityClaim,
    SampleRequest,
    SampleTerms,
    ShipmentDocument,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfferInline(ReadOnlyInline):
    model = Offer
    fields = readonly_fields = (
        "seq",
        "side",
        "by",
        "quantity_kg",
        "price",
        "currency",
        "price_unit",
        "incoterm",
        "expires_at",
    )


class NegotiationEventInline(ReadOnlyInline):
    model = NegotiationEvent
    fields = readonly_fields = ("created_at", "actor", "action", "offer", "note")


@admin.register(Negotiation)
class NegotiationAdmin(admin.ModelAdmin):
    list_display = ["id", "lot", "buyer", "seller", "status", "turn", "expires_at", "updated_at"]
    list_filter = ["status", "turn"]
    search_fields = ["lot__name", "lot__code", "buyer__email", "seller__email"]
    list_select_related = ["lot", "buyer", "seller"]
    readonly_fields = [f.name for f in Negotiation._meta.fields]
    inlines = [OfferInline, NegotiationEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ("created_at", "actor", "action", "data")


class ShipmentDocumentInline(ReadOnlyInline):
    model = ShipmentDocument
    fields = readonly_fields = ("name", "content_type", "size", "sha256", "created_at")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "lot", "buyer", "seller", "quantity_kg", "total", "currency", "status", "created_at"]
    list_filter = ["status", "source", "currency"]
    search_fields = ["lot__name", "lot__code", "buyer__email", "seller__email"]
    list_select_related = ["lot", "buyer", "seller"]
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderEventInline, ShipmentDocumentInline]
    actions = ["mark_paid"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Mark paid (offline bank transfer received)"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            try:
                services.order_mark_paid(order=order, by=request.user, reference="admin")
            except (Conflict, PermissionDenied) as e:
                self.message_user(request, f"{order}: {e}", level=messages.WARNING)


@admin.register(QualityClaim)
class QualityClaimAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "status", "outcome", "created_at", "resolved_at"]
    list_filter = ["status", "outcome"]
    readonly_fields = [f.name for f in QualityClaim._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SampleRequest)
class SampleRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "lot", "roaster", "producer", "kind", "grams", "status", "fee", "currency", "feedback_due_at"]
    list_filter = ["status", "kind"]
    search_fields = ["lot__name", "roaster__email", "producer__email"]
    list_select_related = ["lot", "roaster", "producer"]
    readonly_fields = [f.name for f in SampleRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SampleTerms)
class SampleTermsAdmin(admin.ModelAdmin):
    list_display = ["producer", "fee", "currency", "updated_at"]
