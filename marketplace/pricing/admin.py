"""Admin for staff; moderators normally use /pricing/baselines/, which audits every change."""

from __future__ import annotations

from django.contrib import admin

from marketplace.pricing.models import CPrice, IncotermAdjustment, LotPremium, SpecialtyBaseline


@admin.register(SpecialtyBaseline)
class SpecialtyBaselineAdmin(admin.ModelAdmin):
    list_display = ("edition", "harvest_year", "origin", "score_band", "size_band", "p25", "median", "p75")
    list_filter = ("edition", "score_band", "size_band")
    readonly_fields = ("updated_by", "created_at", "updated_at")


@admin.register(CPrice)
class CPriceAdmin(admin.ModelAdmin):
    list_display = ("observed_on", "label", "kind", "usd_per_lb", "usd_per_lb_high", "contract")
    readonly_fields = ("updated_by", "created_at", "updated_at")


@admin.register(IncotermAdjustment)
class IncotermAdjustmentAdmin(admin.ModelAdmin):
    list_display = ("origin", "incoterm", "usd_per_lb", "note")
    readonly_fields = ("updated_by", "updated_at")


@admin.register(LotPremium)
class LotPremiumAdmin(admin.ModelAdmin):
    list_display = (
        "lot",
        "status",
        "premium_ratio",
        "baseline_match",
        "flag_under_2x",
        "flag_over_10x",
        "flag_high_price",
        "computed_at",
    )
    list_filter = ("status", "flag_under_2x", "flag_over_10x", "flag_high_price")
    raw_id_fields = ("lot",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
