"""Admin for staff: verify and reject through the audited services, never by editing the status."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from marketplace.competitions.models import CompetitionResult
from marketplace.competitions.services import result_decide

ADMIN_REJECT_REASON = "Rejected by a moderator in the admin."


@admin.register(CompetitionResult)
class CompetitionResultAdmin(admin.ModelAdmin):
    list_display = ("lot", "competition", "name", "year", "category", "rank", "jury_score", "status", "created_at")
    list_filter = ("status", "competition", "year")
    search_fields = ("name", "lot__name", "lot__code")
    raw_id_fields = ("lot",)
    readonly_fields = (
        "lot",
        "competition",
        "name",
        "year",
        "category",
        "rank",
        "jury_score",
        "jury_protocol",
        "url",
        "document",
        "document_name",
        "document_content_type",
        "document_sha256",
        "status",
        "created_by",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    actions = ["verify_selected", "reject_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # producers record results on the lot's page or through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a decision is history: reject instead

    def _decide(self, request: HttpRequest, queryset: QuerySet[CompetitionResult], to: str, reason: str) -> None:
        done = 0
        for result in queryset:
            try:
                result_decide(result_id=result.pk, by=request.user, to=to, reason=reason)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{result}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, _("%(n)s result(s) updated.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Verify the selected results"))
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[CompetitionResult]) -> None:
        self._decide(request, queryset, "verified", "")

    @admin.action(description=_("Reject the selected results"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[CompetitionResult]) -> None:
        self._decide(request, queryset, "rejected", ADMIN_REJECT_REASON)
