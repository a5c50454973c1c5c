from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken as KnoxAuthToken

from accounts.models import ApiToken, GroupMember, ProducerProfile, QGraderProfile, RoasterProfile, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "role")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0


@admin.register(ProducerProfile)
class ProducerProfileAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user", "country", "region", "is_group"]
    search_fields = ["organisation", "user__email"]
    inlines = [GroupMemberInline]


@admin.register(RoasterProfile)
class RoasterProfileAdmin(admin.ModelAdmin):
    list_display = ["company", "user", "country", "competition_alerts"]
    search_fields = ["company", "user__email"]


@admin.register(QGraderProfile)
class QGraderProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "licence_number", "licence_type", "licence_expires_on", "licence_verified_at"]
    search_fields = ["licence_number", "user__email"]
    readonly_fields = ["licence_verified_at", "licence_verified_by"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff can see and revoke (delete) tokens; nobody sees a token itself (only its digest exists)."""

    list_display = ["user", "name", "token_key", "created", "expiry", "last_used_at"]
    search_fields = ["user__email", "name", "token_key"]
    readonly_fields = ["user", "name", "token_key", "created", "expiry", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


# knox registers its own token model, which KNOX_TOKEN_MODEL swaps out for ApiToken: hide it.
if admin.site.is_registered(KnoxAuthToken):
    admin.site.unregister(KnoxAuthToken)
