"""Admin: read-mostly. Money moves through the services (the payment page's moderator forms);
the admin must not become a side door that skips the lock and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from marketplace.payments.models import (
    BankTransfer,
    LotPaymentTerms,
    Payment,
    PaymentAttempt,
    PayoutEntry,
    ProcessedEvent,
    Refund,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "idempotency_key", "intent_id", "status", "error", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "currency", "reason", "status", "provider_refund_id", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransferInline(admin.TabularInline):
    model = BankTransfer
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "currency", "reference", "received_by", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "kind",
        "subject_kind",
        "subject_id",
        "payer",
        "amount",
        "currency",
        "status",
        "provider",
    ]
    list_filter = ["status", "kind", "provider", "currency"]
    search_fields = ["public_id", "intent_id", "payer__email", "payee__email", "description"]
    list_select_related = ["payer"]
    inlines = [AttemptInline, TransferInline, RefundInline]


@admin.register(PayoutEntry)
class PayoutEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "producer", "kind", "amount", "currency", "memo"]
    list_filter = ["kind", "currency"]
    list_select_related = ["producer"]


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "event_id", "type", "outcome"]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id"]


@admin.register(LotPaymentTerms)
class LotPaymentTermsAdmin(ReadOnlyAdmin):
    list_display = ["lot", "mode", "updated_at"]
