"""REST representations. Writes are parsed here and handed to lots.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import Currency, Incoterm, PriceUnit
from cupping.serializers import OfficialScoreSerializer
from lots.geo import DecimalJSONEncoder
from lots.models import (
    Additives,
    CoffeeState,
    CustodyDocument,
    CustodyEvent,
    CustodyStage,
    DryingMethod,
    Farm,
    HoneyColour,
    Lot,
    LotPhoto,
    LotStatus,
    Packaging,
    PhotoKind,
    Plot,
    Process,
    ProcessModifier,
)


class FarmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Farm
        fields = ["id", "name", "country", "region", "altitude_masl", "created_at"]
        read_only_fields = ["id", "created_at"]


class PlotSerializer(serializers.ModelSerializer):
    farm = serializers.PrimaryKeyRelatedField(queryset=Farm.objects.none())
    varieties: Any = serializers.SlugRelatedField(many=True, slug_field="name", read_only=True)
    variety_names = serializers.ListField(
        child=serializers.CharField(max_length=100), write_only=True, required=False, max_length=30
    )
    geometry = serializers.JSONField(
        encoder=DecimalJSONEncoder,
        help_text=(
            "GeoJSON Point (≤ 4 ha), Polygon or MultiPolygon, [lon, lat], WGS 84, each coordinate with at "
            "least six decimal places (numbers are read and written back exactly, e.g. 1.900000). A GeoJSON "
            "text is accepted too. The plot must lie in the coffee belt and in the farm's country."
        ),
    )
    geometry_area_ha = serializers.SerializerMethodField(help_text="Geodesic area of the polygon (null for a point)")
    area_agrees = serializers.SerializerMethodField(
        help_text="Whether the polygon's area is within the tolerance of the declared area (null for a point)"
    )
    area_used_for_yield = serializers.SerializerMethodField(
        help_text="False when the polygon contradicts the declared area, which the yield check then ignores"
    )
    area_message = serializers.SerializerMethodField()

    class Meta:
        model = Plot
        fields = [
            "id",
            "farm",
            "name",
            "region",
            "altitude_masl",
            "area_ha",
            "geometry",
            "varieties",
            "variety_names",
            "geometry_area_ha",
            "area_agrees",
            "area_used_for_yield",
            "area_message",
            "created_at",
        ]
        read_only_fields = ["id", "created_at", "varieties"]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True))
    def get_geometry_area_ha(self, plot: Plot) -> str | None:
        computed = plot.area_check.computed_ha
        return None if computed is None else str(computed)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_area_agrees(self, plot: Plot) -> bool | None:
        return plot.area_check.agrees

    def get_area_used_for_yield(self, plot: Plot) -> bool:
        return plot.usable_area_ha is not None

    def get_area_message(self, plot: Plot) -> str:
        return plot.area_check.message

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.fields["farm"].queryset = Farm.objects.filter(producer=user)  # type: ignore[attr-defined]


class LotSerializer(serializers.ModelSerializer):
    """A lot as buyers and their systems see it."""

    price_unit = serializers.ChoiceField(choices=PriceUnit.choices)
    price_usd_per_lb = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True, allow_null=True)
    available_kg = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    # Optional choices are "" when unset: say so in the schema.
    honey_colour = serializers.ChoiceField(choices=HoneyColour.choices, allow_blank=True, read_only=True)
    drying_method = serializers.ChoiceField(choices=DryingMethod.choices, allow_blank=True, read_only=True)
    packaging = serializers.ChoiceField(choices=Packaging.choices, allow_blank=True, read_only=True)
    tags = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField()
    variety = serializers.SerializerMethodField()
    country = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    farm_name = serializers.SerializerMethodField()
    plots: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    group_members = serializers.SerializerMethodField()
    variety_suggestion = serializers.SerializerMethodField()
    variety_needs_confirmation = serializers.SerializerMethodField()
    variety_note = serializers.SerializerMethodField()
    official_score_protocol = serializers.CharField(
        read_only=True, help_text="the scale of official_score: sca2004, cva or coe (empty when there is none)"
    )
    official_score_label = serializers.SerializerMethodField()
    official_scores = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = [
            "id",
            "name",
            "code",
            "status",
            "weight_kg",
            "available_kg",
            "price",
            "currency",
            "price_unit",
            "incoterm",
            "incoterm_place",
            "price_usd_per_kg",
            "price_usd_per_lb",
            "classification",
            "tags",
            "official_score",
            "official_score_protocol",
            "official_score_label",
            "official_scores",
            "premium_ratio",
            "verified",
            "variety",
            "variety_as_declared",
            "variety_status",
            "variety_suggestion",
            "variety_needs_confirmation",
            "variety_note",
            "process",
            "honey_colour",
            "process_modifiers",
            "additives",
            "additives_detail",
            "fermentation_hours",
            "drying_method",
            "drying_days",
            "harvest_start",
            "harvest_end",
            "harvest_year",
            "packaging",
            "package_size_kg",
            "package_count",
            "moisture_pct",
            "water_activity",
            "story",
            "country",
            "region",
            "farm",
            "farm_name",
            "plots",
            "group_members",
            "version",
            "listed_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_tags(self, lot: Lot) -> list[str]:
        return [t.tag for t in lot.tags.all()]

    def get_verified(self, lot: Lot) -> str | None:
        """The verified badge (``micro`` or ``nano``), or null."""
        return lot.verified_badge or None

    def get_variety(self, lot: Lot) -> str | None:
        """The canonical variety name, or null when the declared spelling is unknown."""
        return lot.variety.name if lot.variety_id and lot.variety else None

    def get_variety_suggestion(self, lot: Lot) -> str | None:
        """The close match offered for an unlisted spelling (confirm with ``variety_match``)."""
        return lot.variety_suggestion.name if lot.variety_suggestion_id and lot.variety_suggestion else None

    def get_variety_needs_confirmation(self, lot: Lot) -> bool:
        return lot.variety_status == "suggested"

    def get_variety_note(self, lot: Lot) -> str:
        """For the producer: "Did you mean Pink Bourbon?", or why the name is kept as written."""
        from lots.services import variety_note

        return variety_note(lot)

    def get_country(self, lot: Lot) -> str:
        from lots.selectors import origin_of

        return origin_of(lot)[0]

    def get_region(self, lot: Lot) -> str:
        from lots.selectors import origin_of

        return origin_of(lot)[1]

    def get_farm_name(self, lot: Lot) -> str | None:
        return lot.farm.name if lot.farm_id and lot.farm else None

    def get_official_score_label(self, lot: Lot) -> str:
        """The official score with its scale ("SCA 87.25", "CVA 84.50", "CoE 88.00"), or ""."""
        from cupping.scoring import score_label

        return score_label(lot.official_score_protocol, lot.official_score)

    @extend_schema_field(OfficialScoreSerializer(many=True))
    def get_official_scores(self, lot: Lot) -> list[dict[str, Any]]:
        """Every protocol's official score of the lot's current harvest, primary first; a lot
        cupped on two forms has two entries, each on its own scale (never averaged)."""
        from cupping.selectors import lot_official_scores

        return list(OfficialScoreSerializer(list(lot_official_scores(lot=lot).values()), many=True).data)

    def get_group_members(self, lot: Lot) -> list[str]:
        return [m.name for m in lot.group_members.all()]


def _choice(choices: Any, *, required: bool = True, blank: bool = False) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, required=required, allow_blank=blank)


class LotWriteSerializer(serializers.Serializer):
    """Create (all required fields) or update (send ``version``; 409 if someone changed it since)."""

    version = serializers.IntegerField(required=False, min_value=1, help_text="Required on update")
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=60)
    farm = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    plots = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=50)
    group_members = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=200)
    variety = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Any spelling. A close match is offered as variety_suggestion until confirmed with variety_match",
    )
    variety_match = serializers.ChoiceField(
        choices=["accept", "keep"],
        required=False,
        help_text="Answer to variety_suggestion: accept the suggested variety, or keep the name as written",
    )
    process = _choice(Process.choices)
    honey_colour = _choice(HoneyColour.choices, required=False, blank=True)
    process_modifiers = serializers.ListField(child=_choice(ProcessModifier.choices), required=False, max_length=10)
    additives = _choice(Additives.choices)
    additives_detail = serializers.CharField(max_length=300, required=False, allow_blank=True)
    fermentation_hours = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True, min_value=Decimal(0), max_value=Decimal(2000)
    )
    drying_method = _choice(DryingMethod.choices, required=False, blank=True)
    drying_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    harvest_start = serializers.DateField(required=False, allow_null=True)
    harvest_end = serializers.DateField(required=False, allow_null=True)
    harvest_year = serializers.IntegerField(min_value=2000, max_value=2100)
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    packaging = _choice(Packaging.choices, required=False, blank=True)
    package_size_kg = serializers.DecimalField(
        max_digits=7, decimal_places=2, required=False, allow_null=True, min_value=Decimal("0.01")
    )
    package_count = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1_000_000)
    moisture_pct = serializers.DecimalField(
        max_digits=4, decimal_places=2, required=False, allow_null=True, min_value=Decimal(0), max_value=Decimal(30)
    )
    water_activity = serializers.DecimalField(
        max_digits=4, decimal_places=3, required=False, allow_null=True, min_value=Decimal(0), max_value=Decimal(1)
    )
    story = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=Decimal("0.0001"))
    currency = _choice(Currency.choices, required=False)
    price_unit = _choice(PriceUnit.choices, required=False)
    incoterm = _choice(Incoterm.choices, required=False)
    incoterm_place = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=LotStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LotPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()
    derivatives_ready = serializers.SerializerMethodField()

    class Meta:
        model = LotPhoto
        fields = [
            "id",
            "kind",
            "caption",
            "width",
            "height",
            "url",
            "thumb_url",
            "derivatives_ready",
            "original_sha256",
            "created_at",
        ]
        read_only_fields = fields

    def _url(self, photo: LotPhoto, size: str) -> str:
        from django.urls import reverse

        path = reverse("lots:photo", args=[photo.pk, size])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, photo: LotPhoto) -> str:
        return self._url(photo, "large")

    def get_thumb_url(self, photo: LotPhoto) -> str:
        return self._url(photo, "thumb")

    def get_derivatives_ready(self, photo: LotPhoto) -> bool:
        return bool(photo.thumb and photo.medium and photo.large)


class LotPhotoPrivateSerializer(LotPhotoSerializer):
    """With the private EXIF evidence, for the lot's producer and moderators."""

    class Meta(LotPhotoSerializer.Meta):
        fields = [*LotPhotoSerializer.Meta.fields, "taken_at", "gps_lat", "gps_lon"]
        read_only_fields = fields


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP, at most 10 MB")
    kind = serializers.ChoiceField(choices=PhotoKind.choices, default=PhotoKind.OTHER)
    caption = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CustodyDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustodyDocument
        fields = ["id", "name", "content_type", "size", "sha256"]
        read_only_fields = fields


class CustodyEventSerializer(serializers.ModelSerializer):
    documents = CustodyDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = CustodyEvent
        fields = [
            "id",
            "seq",
            "stage",
            "occurred_on",
            "place",
            "state_in",
            "state_out",
            "weight_in_kg",
            "weight_out_kg",
            "separated",
            "notes",
            "corrects",
            "recorded_at",
            "prev_hash",
            "content_hash",
            "documents",
        ]
        read_only_fields = fields


class CustodyEventWriteSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=CustodyStage.choices)
    occurred_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    state_in = serializers.ChoiceField(choices=CoffeeState.choices)
    state_out = serializers.ChoiceField(choices=CoffeeState.choices)
    weight_in_kg = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    weight_out_kg = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    separated = serializers.BooleanField()
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    corrects = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)
    documents = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10, help_text="multipart only"
    )


class ChainResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    count = serializers.IntegerField()
    first_broken_seq = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    code = serializers.ChoiceField(
        choices=["ok", "sequence_gap", "link_mismatch", "content_mismatch", "truncated", "head_mismatch", "unanchored"]
    )
    head_hash = serializers.CharField(help_text="Hash of the last event that verified (64 zeros for none)")


class PassportSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection with a ``lot`` member (EUDR due-diligence data)."""

    type = serializers.CharField()
    features = serializers.ListField(child=serializers.DictField())
    lot = serializers.DictField()


class VarietyMatchSerializer(serializers.Serializer):
    """What a typed variety name matches: the variety, a close match to confirm, or a family."""

    name = serializers.CharField()
    variety = serializers.CharField(allow_null=True)
    suggestion = serializers.CharField(allow_null=True)
    needs_confirmation = serializers.BooleanField()
    score = serializers.FloatField(allow_null=True)
    family = serializers.CharField(allow_blank=True)
    members = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField(allow_blank=True)
