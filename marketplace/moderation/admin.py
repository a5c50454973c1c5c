from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from marketplace.moderation.models import ClaimDecision, ClaimReply, EvidenceChange, HallmarkResult, MicroLotClaim


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HallmarkInline(ReadOnlyInline):
    model = HallmarkResult
    fields = ("key", "result", "reason", "computed_at")
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = ClaimDecision
    fields = ("created_at", "moderator", "decision", "reason", "overrides", "from_status", "evidence_version")
    readonly_fields = fields


class ReplyInline(ReadOnlyInline):
    model = ClaimReply
    fields = ("created_at", "author", "note")
    readonly_fields = fields


class ChangeInline(ReadOnlyInline):
    model = EvidenceChange
    fields = ("created_at", "kind", "detail", "actor", "reopened", "evidence_version")
    readonly_fields = fields


@admin.register(MicroLotClaim)
class MicroLotClaimAdmin(admin.ModelAdmin):
    """Read-only: decisions go through the moderation pages so they are checked and audited."""

    list_display = ["pk", "lot", "producer", "kind", "status", "fail_count", "warn_count", "waiting_since"]
    list_filter = ["status", "kind", "isolation"]
    search_fields = ["lot__name", "lot__code", "producer__email"]
    list_select_related = ["lot", "producer"]
    readonly_fields = [f.name for f in MicroLotClaim._meta.fields]
    inlines = [HallmarkInline, DecisionInline, ReplyInline, ChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
