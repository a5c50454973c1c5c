from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lots.models import (
    CustodyDocument,
    CustodyEvent,
    Farm,
    Lot,
    LotPhoto,
    LotTag,
    Plot,
    UnlistedVariety,
    Variety,
    VarietyAlias,
)


class PlotInline(admin.TabularInline):
    model = Plot
    extra = 0
    fields = ["name", "region", "altitude_masl", "area_ha"]
    show_change_link = True


@admin.register(Farm)
class FarmAdmin(admin.ModelAdmin):
    list_display = ["name", "producer", "country", "region", "altitude_masl"]
    list_filter = ["country"]
    search_fields = ["name", "region", "producer__email"]
    raw_id_fields = ["producer"]
    inlines = [PlotInline]


@admin.register(Plot)
class PlotAdmin(admin.ModelAdmin):
    list_display = ["name", "farm", "area_ha", "altitude_masl"]
    search_fields = ["name", "farm__name"]
    raw_id_fields = ["farm"]
    filter_horizontal = ["varieties"]


class VarietyAliasInline(admin.TabularInline):
    model = VarietyAlias
    extra = 1


@admin.register(Variety)
class VarietyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_landrace", "family"]
    list_filter = ["family", "is_landrace"]
    search_fields = ["name", "aliases__alias"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [VarietyAliasInline]


@admin.register(UnlistedVariety)
class UnlistedVarietyAdmin(admin.ModelAdmin):
    """Names producers kept as written; choosing "maps to" maps every lot declared with the name."""

    list_display = ["name", "key", "variety", "lots_waiting", "mapped_by", "mapped_at", "created_at"]
    list_filter = [("variety", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key"]
    fields = ["name", "key", "variety", "mapped_by", "mapped_at", "created_at"]
    readonly_fields = ["name", "key", "mapped_by", "mapped_at", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[UnlistedVariety]:
        waiting = (
            Lot.objects.filter(variety__isnull=True, variety_as_declared__iexact=OuterRef("name"))
            .values("variety_as_declared")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(waiting=Subquery(waiting[:1]))

    @admin.display(description=_("lots without a variety"))
    def lots_waiting(self, obj: Any) -> int:
        return getattr(obj, "waiting", None) or 0

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: UnlistedVariety, form: Any, change: bool) -> None:
        from lots.services import unlisted_variety_map

        if obj.variety_id is None:
            return
        count = unlisted_variety_map(unlisted=obj, variety=obj.variety, by=request.user)  # type: ignore[arg-type]
        obj.refresh_from_db()
        messages.success(request, _("%(n)s lot(s) now carry %(variety)s.") % {"n": count, "variety": obj.variety})


class LotTagInline(admin.TabularInline):
    model = LotTag
    extra = 0


class LotPhotoInline(admin.TabularInline):
    model = LotPhoto
    extra = 0
    fields = ("kind", "caption", "width", "height", "taken_at", "gps_lat", "gps_lon")
    readonly_fields = ("kind", "caption", "width", "height", "taken_at", "gps_lat", "gps_lon")
    can_delete = False


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    """Read-mostly: status, price and evidence change through lots.services, never here."""

    list_display = ["code", "name", "producer", "status", "classification", "weight_kg", "price_usd_per_kg"]
    list_filter = ["status", "classification", "process", "additives", "verified_badge"]
    search_fields = ["code", "name", "producer__email", "farm__name"]
    raw_id_fields = ["producer", "farm", "variety"]
    readonly_fields = [f.name for f in Lot._meta.concrete_fields if f.name not in ("id",)]
    inlines = [LotTagInline, LotPhotoInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class CustodyDocumentInline(admin.TabularInline):
    model = CustodyDocument
    extra = 0
    fields = ("name", "content_type", "size", "sha256")
    readonly_fields = ("name", "content_type", "size", "sha256")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CustodyEvent)
class CustodyEventAdmin(admin.ModelAdmin):
    """Append-only evidence: viewable, never editable or deletable."""

    list_display = ["lot", "seq", "stage", "occurred_on", "weight_in_kg", "weight_out_kg", "separated"]
    list_filter = ["stage", "separated"]
    search_fields = ["lot__code", "lot__name"]
    inlines = [CustodyDocumentInline]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in CustodyEvent._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
