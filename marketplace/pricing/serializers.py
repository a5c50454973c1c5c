"""API serializers. Writes go through ``services.reference_save``; these only shape and type-check."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
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


class PremiumSerializer(serializers.ModelSerializer):
    baseline = BaselineBriefSerializer(read_only=True, allow_null=True)
    band_baseline = BaselineBriefSerializer(read_only=True, allow_null=True)
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)

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
            "score_band",
            "band_baseline",
            "band_median",
            "band_ratio",
            "band_position",
            "flags",
            "computed_at",
            "changed_at",
        )
        read_only_fields = fields


class SweepSerializer(serializers.Serializer):
    job_id = serializers.UUIDField(read_only=True)
    status = serializers.CharField(read_only=True)
    progress_url = serializers.CharField(read_only=True)
