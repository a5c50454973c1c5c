from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.moderation import conf
from marketplace.moderation.models import (
    ClaimDecision,
    ClaimKind,
    ClaimReply,
    ClaimStatus,
    Decision,
    EvidenceChange,
    HallmarkKey,
    HallmarkOutcome,
    HallmarkResult,
    Isolation,
    MicroLotClaim,
)


def _inline_enum(choices: type[models.TextChoices], description: str) -> Any:
    """A choice field whose enum stays inline in the schema.

    drf-spectacular turns every top-level ``enum`` into a shared component named after the field,
    and "status"/"kind" are used by other apps with other choices; wrapping the enum in a one-item
    ``oneOf`` keeps ours inline and the schema free of naming collisions.
    """

    @extend_schema_field({"oneOf": [{"type": "string", "enum": list(choices.values)}], "description": description})
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=choices.choices, **kwargs)

    Field.__name__ = f"{choices.__name__}Field"
    return Field


KindField = _inline_enum(ClaimKind, "micro or nano")
StatusField = _inline_enum(ClaimStatus, "pending, evidence_requested, approved or rejected")


class HallmarkSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(
        source="display_reason", read_only=True, help_text="In the request's language (Accept-Language)."
    )

    class Meta:
        model = HallmarkResult
        fields = ["key", "result", "reason", "computed_at"]


class DecisionSerializer(serializers.ModelSerializer):
    from_status = StatusField(read_only=True)
    overrides = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="An approval over failing hallmarks: hallmark key → the moderator's reason for approving despite it.",
    )

    class Meta:
        model = ClaimDecision
        fields = ["id", "decision", "reason", "overrides", "from_status", "evidence_version", "created_at"]


class ReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimReply
        fields = ["id", "note", "created_at"]


class EvidenceChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvidenceChange
        fields = ["kind", "detail", "reopened", "evidence_version", "created_at"]


class ClaimSerializer(serializers.ModelSerializer):
    hallmarks = serializers.SerializerMethodField()
    decisions = DecisionSerializer(many=True, read_only=True)
    replies = ReplySerializer(many=True, read_only=True)
    evidence_changes = EvidenceChangeSerializer(many=True, read_only=True)
    verified_badge = serializers.CharField(source="lot.verified_badge", read_only=True)
    kind = KindField(read_only=True)
    status = StatusField(read_only=True)

    class Meta:
        model = MicroLotClaim
        fields = [
            "id",
            "lot",
            "kind",
            "isolation",
            "statement",
            "status",
            "verified_badge",
            "evidence_version",
            "hallmarks_computed_at",
            "hallmarks",
            "submitted_at",
            "waiting_since",
            "decided_at",
            "reopened_count",
            "decisions",
            "replies",
            "evidence_changes",
        ]
        read_only_fields = fields

    @extend_schema_field(HallmarkSerializer(many=True))
    def get_hallmarks(self, obj: MicroLotClaim) -> list[dict[str, str]]:
        from marketplace.moderation.selectors import ordered_hallmarks

        return HallmarkSerializer(ordered_hallmarks(obj), many=True).data  # type: ignore[return-value]


class ClaimListSerializer(serializers.ModelSerializer):
    verified_badge = serializers.CharField(source="lot.verified_badge", read_only=True)
    kind = KindField(read_only=True)
    status = StatusField(read_only=True)

    class Meta:
        model = MicroLotClaim
        fields = [
            "id",
            "lot",
            "kind",
            "status",
            "verified_badge",
            "fail_count",
            "warn_count",
            "hallmarks_computed_at",
            "submitted_at",
            "waiting_since",
        ]
        read_only_fields = fields


class ClaimSubmitSerializer(serializers.Serializer):
    kind = KindField()
    isolation = serializers.ChoiceField(choices=Isolation.choices)
    statement = serializers.CharField(min_length=conf.STATEMENT_MIN_LENGTH, max_length=5000)


class DecisionRequestSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(min_length=conf.REASON_MIN_LENGTH, max_length=5000)
    overrides = serializers.DictField(
        child=serializers.CharField(max_length=conf.OVERRIDE_REASON_MAX_LENGTH, allow_blank=True),
        required=False,
        help_text=(
            "Approving while hallmarks fail: {hallmark key: reason} with a written reason for each failing hallmark "
            f"(at least {conf.OVERRIDE_REASON_MIN_LENGTH} characters). Without one for every failing hallmark the "
            "approval answers 400 naming the missing ones. Keys: " + ", ".join(HallmarkKey.values) + "."
        ),
    )
    evidence_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The evidence version you reviewed; a later change makes the decision fail with 409.",
    )


class ReplyRequestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


HallmarkKeyField = _inline_enum(HallmarkKey, "one of the eight hallmarks")
ResultField = _inline_enum(HallmarkOutcome, "pass, warn or fail")


class PublicHallmarkSerializer(serializers.Serializer):
    key = HallmarkKeyField()
    name = serializers.CharField(help_text="The hallmark's name in the request's language.")
    result = ResultField()
    reason = serializers.CharField()
    approved_despite = serializers.CharField(
        allow_null=True, help_text="For a failing hallmark: the moderator's reason for approving despite it."
    )


class VerificationSerializer(serializers.Serializer):
    lot = serializers.IntegerField()
    verified_badge = serializers.CharField(allow_null=True, help_text="micro, nano, or null when not verified")
    claim = serializers.IntegerField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    hallmarks = PublicHallmarkSerializer(many=True)
