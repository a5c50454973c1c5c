"""API serializers. Writes go through ``services.reference_save``; these only shape and type-check."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import ExchangeRate
from marketplace.pricing.models import CPrice, IncotermAdjustment, LotPremium, SpecialtyBaseline
from marketplace.pricing.services import TABLES

_JSON_TYPES: tuple[tuple[type, tuple[type, ...]], ...] = (
    (serializers.BooleanField, (bool,)),
    (serializers.IntegerField, (int,)),
    (serializers.DecimalField, (str,)),  # the schema says string: numbers would lose precision
    (serializers.DateField, (str,)),
    (serializers.CharField, (str,)),
    (serializers.ChoiceField, (str,)),
)


class StrictTypesMixin:
    """Refuse a JSON value of the wrong type instead of coercing it, so the schema tells the truth."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                if field.read_only or name not in data or data[name] is None:
                    continue
                value = data[name]
                for field_class, allowed in _JSON_TYPES:
                    if isinstance(field, field_class):
                        wrong = not isinstance(value, allowed) or (allowed == (int,) and isinstance(value, bool))
                        if wrong:
                            errors[name] = [_("Wrong type.")]
                        break
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class BaselineSerializer(StrictTypesMixin, serializers.ModelSerializer):
    harvest_label = serializers.CharField(read_only=True)

    class Meta:
        model = SpecialtyBaseline
        fields = ("id", *TABLES["baseline"][1], "harvest_label", "updated_at")
        read_only_fields = ("id", "harvest_label", "updated_at")
        validators: list = []  # the service reports duplicate keys as a 400 with the same shape


class CPriceSerializer(StrictTypesMixin, serializers.ModelSerializer):
    class Meta:
        model = CPrice
        fields = ("id", *TABLES["cprice"][1], "updated_at")
        read_only_fields = ("id", "updated_at")
        validators: list = []


class RateSerializer(StrictTypesMixin, serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ("id", *TABLES["rate"][1], "created_at")
        read_only_fields = ("id", "created_at")
        validators: list = []


class AdjustmentSerializer(StrictTypesMixin, serializers.ModelSerializer):
    class Meta:
        model = IncotermAdjustment
        fields = ("id", *TABLES["adjustment"][1], "updated_at")
        read_only_fields = ("id", "updated_at")
        validators: list = []


class BaselineBriefSerializer(serializers.ModelSerializer):
    harvest_label = serializers.CharField(read_only=True)

    class Meta:
        model = SpecialtyBaseline
        fields = (
            "id",
            "edition",
            "harvest_year",
            "harvest_label",
            "origin",
            "score_band",
            "size_band",
            "p25",
            "median",
            "p75",
            "source",
        )


class BaselineRowSerializer(serializers.Serializer):
    """The slice of the market a premium was compared with; "all" for each open dimension."""

    origin = serializers.CharField()
    score_band = serializers.CharField()
    size_band = serializers.CharField()


class PremiumNoteSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["stale_baseline", "other_scale", "competition_lot"])
    text = serializers.CharField()


class CompetitionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    event = serializers.CharField()
    rank = serializers.IntegerField()


class PremiumSerializer(serializers.ModelSerializer):
    baseline = BaselineBriefSerializer(read_only=True, allow_null=True)
    band_baseline = BaselineBriefSerializer(read_only=True, allow_null=True)
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    baseline_harvest_label = serializers.CharField(read_only=True)
    baseline_row = serializers.SerializerMethodField()
    baseline_summary = serializers.CharField(read_only=True)
    lot_harvest_label = serializers.CharField(read_only=True)
    stale = serializers.BooleanField(source="is_stale", read_only=True)
    band_summary = serializers.CharField(read_only=True)
    competition_result = serializers.SerializerMethodField()
    notes = PremiumNoteSerializer(many=True, read_only=True)

    class Meta:
        model = LotPremium
        fields = (
            "lot_id",
            "status",
            "premium_ratio",
            "asking_usd_per_kg",
            "fob_usd_per_lb",
            "rate_usd_per_unit",
            "rate_valid_on",
            "incoterm_adjustment",
            "baseline",
            "baseline_match",
            "baseline_median",
            "baseline_edition",
            "baseline_harvest_year",
            "baseline_harvest_label",
            "baseline_row",
            "baseline_summary",
            "lot_harvest_year",
            "lot_harvest_label",
            "lot_size_band",
            "years_stale",
            "stale",
            "score_basis",
            "score_protocol",
            "score_value",
            "score_band",
            "band_baseline",
            "band_median",
            "band_ratio",
            "band_position",
            "band_edition",
            "band_harvest_year",
            "band_summary",
            "flags",
            "competition_result",
            "competition_excused",
            "notes",
            "computed_at",
            "changed_at",
        )
        read_only_fields = fields

    @extend_schema_field(BaselineRowSerializer(allow_null=True))
    def get_baseline_row(self, premium: LotPremium) -> dict[str, str] | None:
        if not premium.baseline_edition:
            return None
        return {
            "origin": premium.baseline_origin or "all",
            "score_band": premium.baseline_score_band or "all",
            "size_band": premium.baseline_size_band or "all",
        }

    @extend_schema_field(CompetitionBriefSerializer(allow_null=True))
    def get_competition_result(self, premium: LotPremium) -> dict[str, Any] | None:
        result = premium.competition_result if premium.competition_result_id else None
        if result is None:
            return None
        return {"id": result.pk, "title": result.title, "event": result.event, "rank": result.rank}


class SweepSerializer(serializers.Serializer):
    job_id = serializers.UUIDField(read_only=True)
    status = serializers.CharField(read_only=True)
    progress_url = serializers.CharField(read_only=True)
