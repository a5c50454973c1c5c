"""API serializers. Writes go through ``services``; these only shape and type-check."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from marketplace.competitions.models import CompetitionKind, CompetitionResult, JuryProtocol
from marketplace.pricing.serializers import StrictTypesMixin


class ResultSerializer(serializers.ModelSerializer):
    competition_label = serializers.CharField(source="get_competition_display", read_only=True)
    jury_protocol_label = serializers.CharField(source="get_jury_protocol_display", read_only=True)
    event = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    has_document = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()

    class Meta:
        model = CompetitionResult
        fields = (
            "id",
            "lot",
            "competition",
            "competition_label",
            "name",
            "event",
            "year",
            "category",
            "rank",
            "jury_score",
            "jury_protocol",
            "jury_protocol_label",
            "title",
            "url",
            "has_document",
            "document_url",
            "document_sha256",
            "status",
            "created_at",
            "decided_at",
            "decision_reason",
        )
        read_only_fields = fields

    def get_has_document(self, result: CompetitionResult) -> bool:
        return bool(result.document)

    def get_document_url(self, result: CompetitionResult) -> str | None:
        return reverse("competitions:document", args=[result.pk]) if result.document else None


class _ResultWriteFields(serializers.Serializer):
    lot = serializers.IntegerField(min_value=1)
    competition = serializers.ChoiceField(choices=CompetitionKind.choices)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", trim_whitespace=False)
    year = serializers.IntegerField(min_value=1999, max_value=2100)
    category = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    rank = serializers.IntegerField(min_value=1, max_value=1000)
    jury_score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text='e.g. "90.31"')
    jury_protocol = serializers.ChoiceField(choices=JuryProtocol.choices)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")


class ResultWriteSerializer(StrictTypesMixin, _ResultWriteFields):
    """JSON: a link to the published results is the evidence (upload a document with multipart)."""


class ResultUploadSerializer(_ResultWriteFields):
    """multipart/form-data: the same fields as strings, plus the document."""

    document = serializers.FileField(required=False, help_text="PDF, JPEG, PNG or WebP")


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data if isinstance(data, dict) else {})
