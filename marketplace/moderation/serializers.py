from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.moderation import conf
from marketplace.moderation.models import (
    ClaimDecision,
    ClaimKind,
    ClaimReply,
    Decision,
    EvidenceChange,
    HallmarkResult,
    Isolation,
    MicroLotClaim,
)


class HallmarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = HallmarkResult
        fields = ["key", "result", "reason", "computed_at"]


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimDecision
        fields = ["id", "decision", "reason", "from_status", "evidence_version", "created_at"]


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
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    isolation = serializers.ChoiceField(choices=Isolation.choices)
    statement = serializers.CharField(min_length=conf.STATEMENT_MIN_LENGTH, max_length=5000)


class DecisionRequestSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(min_length=conf.REASON_MIN_LENGTH, max_length=5000)
    evidence_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The evidence version you reviewed; a later change makes the decision fail with 409.",
    )


class ReplyRequestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)
