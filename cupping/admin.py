from __future__ import annotations

from django.contrib import admin

from cupping.models import CuppingRequest, CuppingSheet, GreenGrading, LotScore


@admin.register(CuppingRequest)
class CuppingRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "lot", "requested_by", "grader", "protocol", "status", "created_at")
    list_filter = ("status", "protocol")
    search_fields = ("lot__code", "lot__name", "requested_by__email", "grader__email")
    raw_id_fields = ("lot", "requested_by", "grader")


@admin.register(CuppingSheet)
class CuppingSheetAdmin(admin.ModelAdmin):
    """Read-only: sheets change only through cupping.services (scores are computed, never typed)."""

    list_display = ("id", "lot", "grader", "protocol", "final_score", "independent", "status", "cupped_on")
    list_filter = ("protocol", "status", "independent")
    search_fields = ("lot__code", "lot__name", "grader__email")
    list_select_related = ("lot", "grader")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(GreenGrading)
class GreenGradingAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "lot",
        "grader",
        "graded_on",
        "rulebook",
        "grade_class",
        "specialty",
        "category1_defects",
        "category2_defects",
        "status",
    )
    list_filter = ("rulebook", "grade_class", "specialty", "status")
    search_fields = ("lot__code", "lot__name", "grader__email")
    list_select_related = ("lot", "grader")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(LotScore)
class LotScoreAdmin(admin.ModelAdmin):
    list_display = ("lot", "protocol", "mean", "graders", "spread", "harvest_year", "is_catalogue_score")
    list_filter = ("protocol", "is_catalogue_score")
    list_select_related = ("lot",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
