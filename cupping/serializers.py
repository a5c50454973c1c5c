from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from cupping import scoring
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading, LotScore, Protocol


def _score(**kw: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True, **kw)


def _cups() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, allow_null=True)


class SheetCreateSerializer(serializers.Serializer):
    """Input only: types are parsed here; ranges and steps are checked by cupping.scoring."""

    lot = serializers.IntegerField()
    protocol = serializers.ChoiceField(choices=Protocol.choices)
    cupped_on = serializers.DateField()
    independent = serializers.BooleanField()
    # sca2004
    fragrance_aroma = _score()
    body = _score()
    balance = _score()
    uniform_cups = _cups()
    clean_cups = _cups()
    sweet_cups = _cups()
    taint_cups = _cups()
    fault_cups = _cups()
    # Plain strings (low, medium, high), checked by cupping.scoring with a per-field message.
    acidity_intensity = serializers.CharField(required=False, allow_blank=True, max_length=6)
    body_intensity = serializers.CharField(required=False, allow_blank=True, max_length=6)
    # both forms
    flavor = _score()
    aftertaste = _score()
    acidity = _score()
    overall = _score()
    # cva
    fragrance = _score()
    aroma = _score()
    sweetness = _score()
    mouthfeel = _score()
    non_uniform_cups = _cups()
    defective_cups = _cups()
    # coe (also: sweetness, acidity, mouthfeel, flavor, aftertaste, balance, overall)
    clean_cup = _score()
    defect_cups = _cups()
    defect_intensity = _cups()
    mouthfeel_intensity = serializers.CharField(required=False, allow_blank=True, max_length=6)
    intensities = serializers.DictField(child=serializers.IntegerField(), required=False)
    descriptors = serializers.ListField(
        child=serializers.ChoiceField(choices=scoring.CVA_DESCRIPTORS), required=False, max_length=20
    )
    descriptor_notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    request = serializers.IntegerField(required=False, allow_null=True)


class SheetSerializer(serializers.ModelSerializer):
    lot = serializers.IntegerField(source="lot_id", read_only=True)
    grader = serializers.IntegerField(source="grader_id", read_only=True)
    has_original = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text="active or withdrawn")
    acidity_intensity = serializers.CharField(read_only=True, help_text="low, medium, high or empty")
    body_intensity = serializers.CharField(read_only=True, help_text="low, medium, high or empty")
    mouthfeel_intensity = serializers.CharField(read_only=True, help_text="low, medium, high or empty (CoE)")
    score_label = serializers.SerializerMethodField(help_text='the final score with its scale, e.g. "SCA 87.25"')

    class Meta:
        model = CuppingSheet
        fields = [
            "id",
            "lot",
            "grader",
            "protocol",
            "form_version",
            "cupped_on",
            "harvest_year",
            "independent_declared",
            "independent",
            "independence_reasons",
            *scoring.ALL_SCORE_FIELDS,
            "acidity_intensity",
            "body_intensity",
            "mouthfeel_intensity",
            "intensities",
            "descriptors",
            "descriptor_notes",
            "notes",
            "total",
            "defects",
            "final_score",
            "score_label",
            "has_original",
            "original_sha256",
            "status",
            "withdrawn_at",
            "withdrawn_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_original(self, obj: CuppingSheet) -> bool:
        return bool(obj.original)

    def get_score_label(self, obj: CuppingSheet) -> str:
        return scoring.score_label(obj.protocol, obj.final_score)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class OriginalUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class GradingCreateSerializer(serializers.Serializer):
    lot = serializers.IntegerField()
    graded_on = serializers.DateField()
    sample_grams = serializers.IntegerField(
        required=False, help_text="350 (SCA 2018 rules, the default) or 300 (older SCAA rules); others are refused"
    )
    defects = serializers.DictField(child=serializers.IntegerField(), required=False)
    quakers = serializers.IntegerField()
    moisture_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    water_activity = serializers.DecimalField(max_digits=5, decimal_places=3)
    screen_size = serializers.IntegerField(required=False, allow_null=True)
    screen_off_pct = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class GradingSerializer(serializers.ModelSerializer):
    lot = serializers.IntegerField(source="lot_id", read_only=True)
    grader = serializers.IntegerField(source="grader_id", read_only=True)
    defects = serializers.JSONField(source="defect_counts", read_only=True)
    status = serializers.CharField(read_only=True, help_text="active or withdrawn")
    rulebook = serializers.CharField(read_only=True, help_text="SCA-2018-350g or SCAA-legacy-300g")
    rulebook_label = serializers.CharField(read_only=True)
    grade_class = serializers.CharField(
        read_only=True,
        help_text="specialty or not_specialty (SCA 2018); specialty, premium, exchange, below_standard or "
        "off_grade (older SCAA rules)",
    )
    process = serializers.CharField(read_only=True, help_text="the lot's process when graded")
    reason_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="e.g. moisture")
    warning_labels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = GreenGrading
        fields = [
            "id",
            "lot",
            "grader",
            "graded_on",
            "rulebook",
            "rulebook_label",
            "sample_grams",
            "process",
            "defects",
            "full_defects",
            "category1_defects",
            "category2_defects",
            "quakers",
            "moisture_pct",
            "water_activity",
            "screen_size",
            "screen_off_pct",
            "specialty",
            "grade_class",
            "reasons",
            "reason_labels",
            "warnings",
            "warning_labels",
            "notes",
            "status",
            "withdrawn_at",
            "withdrawn_reason",
            "created_at",
        ]
        read_only_fields = fields


class RequestCreateSerializer(serializers.Serializer):
    lot = serializers.IntegerField()
    grader = serializers.IntegerField(required=False, allow_null=True)
    protocol = serializers.ChoiceField(choices=Protocol.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RequestSerializer(serializers.ModelSerializer):
    lot = serializers.IntegerField(source="lot_id", read_only=True)
    grader = serializers.IntegerField(source="grader_id", read_only=True, allow_null=True)
    requested_by = serializers.IntegerField(source="requested_by_id", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, accepted, completed or cancelled")
    protocol = serializers.CharField(read_only=True, help_text="sca2004, cva, coe, or empty for any form")

    class Meta:
        model = CuppingRequest
        fields = ["id", "lot", "requested_by", "grader", "protocol", "note", "status", "created_at", "updated_at"]
        read_only_fields = fields


class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean is a client error, not a string to coerce."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CsvTextField(StrictCharField):
    """The CSV text reaches the import service as sent, so NUL bytes get the service's message
    (what the file is, and how to save it as CSV) rather than a generic one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class ImportCreateSerializer(serializers.Serializer):
    csv = CsvTextField(max_length=2 * 1024 * 1024, trim_whitespace=False, help_text="the CSV file's text")


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class OfficialChangeSerializer(serializers.Serializer):
    value = serializers.CharField()
    graders = serializers.IntegerField()


class PreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    protocol = serializers.CharField()
    cupped_on = serializers.DateField()
    final_score = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    counts = serializers.BooleanField(help_text="whether the sheet will count towards the official score")
    reasons = serializers.ListField(child=serializers.CharField())


class PreviewExistingSerializer(serializers.Serializer):
    sheet = serializers.IntegerField()
    protocol = serializers.CharField()
    cupped_on = serializers.DateField()
    final_score = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    counts = serializers.BooleanField()


class PreviewLotSerializer(serializers.Serializer):
    lot = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    harvest_year = serializers.IntegerField()
    row_count = serializers.IntegerField()
    by_protocol = serializers.DictField(child=serializers.IntegerField())
    rows = PreviewRowSerializer(many=True)
    existing = PreviewExistingSerializer(many=True, help_text="your sheets of this lot and harvest it adds to")
    official_before = serializers.DictField(child=OfficialChangeSerializer(), help_text="protocol → score")
    official_after = serializers.DictField(child=OfficialChangeSerializer(), help_text="protocol → score")


class ImportPreviewSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    lots = PreviewLotSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    digest = serializers.CharField()


class ImportJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=["pending", "running", "previewed", "succeeded", "failed"],
        help_text="previewed: checked, waiting for POST …/confirm/; nothing is written before",
    )
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    created = serializers.IntegerField(allow_null=True)
    confirmed = serializers.BooleanField()
    preview = ImportPreviewSerializer(allow_null=True)
    # Schema only (never bound to data), so shadowing Serializer.errors is harmless here.
    errors = ImportErrorSerializer(many=True)  # type: ignore[assignment]


class LotScoreSerializer(serializers.ModelSerializer):
    lot = serializers.IntegerField(source="lot_id", read_only=True)
    label = serializers.SerializerMethodField(help_text='the score with its scale, e.g. "CVA 84.50"')  # type: ignore[assignment]

    class Meta:
        model = LotScore
        fields = [
            "lot",
            "protocol",
            "harvest_year",
            "mean",
            "label",
            "graders",
            "spread",
            "attribute_means",
            "is_catalogue_score",
        ]
        read_only_fields = fields

    def get_label(self, obj: LotScore) -> str:
        return scoring.score_label(obj.protocol, obj.mean)


class OfficialScoreSerializer(serializers.Serializer):
    """One protocol's official score of a lot (used by the lot API)."""

    protocol = serializers.CharField()
    value = serializers.DecimalField(max_digits=5, decimal_places=2)
    label = serializers.CharField(help_text='e.g. "SCA 87.25"')  # type: ignore[assignment]
    graders = serializers.IntegerField()
    harvest_year = serializers.IntegerField()
    primary = serializers.BooleanField(help_text="the one given as the lot's official_score")
