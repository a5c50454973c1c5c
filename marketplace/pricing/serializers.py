"""API serializers. Writes go through ``services.reference_save``; these only shape and type-check."""

from __future__ import annotations

from rest_framework import serializers

from core.models import ExchangeRate
from marketplace.pricing.models import CPrice, IncotermAdjustment, LotPremium, SpecialtyBaseline
from marketplace.pricing.services import TABLES


class BaselineSerializer(serializers.ModelSerializer):
    harvest_label = serializers.CharField(read_only=True)

    class Meta:
        model = SpecialtyBaseline
        fields = ("id", *TABLES["baseline"][1], "harvest_label", "updated_at")
        read_only_fields = ("id", "harvest_label", "updated_at")
        validators: list = []  # the service reports duplicate keys as a 400 with the same shape


class CPriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CPrice
        fields = ("id", *TABLES["cprice"][1], "updated_at")
        read_only_fields = ("id", "updated_at")
        validators: list = []


class RateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ("id", *TABLES["rate"][1], "created_at")
        read_only_fields = ("id", "created_at")
        validators: list = []


class AdjustmentSerializer(serializers.ModelSerializer):
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
