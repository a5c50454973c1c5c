"""Cupping requests, cupping sheets, green-grading reports and each lot's official score."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cupping import scoring


def private_storage() -> Any:
    return storages["private"]


def original_path(instance: Any, filename: str) -> str:
    # A random name: the uploaded file name is user input and never reaches the storage path.
    ext = ".pdf" if filename.endswith(".pdf") else ".jpg"
    return f"cupping/originals/{uuid.uuid4().hex}{ext}"


class Protocol(models.TextChoices):
    SCA2004 = scoring.SCA2004, _("SCA 2004 cupping form")
    CVA = scoring.CVA, _("SCA Coffee Value Assessment")
    COE = scoring.COE, _("Cup of Excellence form")


class Intensity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class CuppingRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="cupping_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Null: open to any Q-grader whose licence a moderator has verified.
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cupping_requests"
    )
    protocol = models.CharField(_("protocol"), max_length=10, choices=Protocol.choices, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cupping request")
        verbose_name_plural = _("cupping requests")

    def __str__(self) -> str:
        return f"cupping request {self.pk} for lot {self.lot_id} ({self.status})"


class SheetStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CuppingSheet(models.Model):
    """One grader's sheet for one sample. The scores are computed by ``cupping.scoring``, never typed."""

    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="cupping_sheets")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cupping_sheets")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(CuppingRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="sheets")
    protocol = models.CharField(_("protocol"), max_length=10, choices=Protocol.choices)
    form_version = models.CharField(max_length=40)
    cupped_on = models.DateField(_("cupped on"))
    harvest_year = models.PositiveSmallIntegerField()
    independent_declared = models.BooleanField(_("I declare I am independent of the producer"))
    # The declaration alone is not enough: see cupping.services.independence_check.
    independent = models.BooleanField(default=False, editable=False)
    independence_reasons = models.JSONField(default=list, blank=True, editable=False)

    # SCA 2004 (6.00–10.00 in 0.25 steps), CVA (whole numbers 1–9) and the Cup of Excellence form
    # (0–8 in half points) share the attribute names the forms share; the protocol says how to
    # read them. Never averaged across protocols.
    fragrance_aroma = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    fragrance = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    aroma = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    flavor = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    aftertaste = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    acidity = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    body = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    balance = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    sweetness = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    mouthfeel = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    overall = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    clean_cup = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)  # CoE only
    uniform_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    clean_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    sweet_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    taint_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    fault_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    non_uniform_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    defective_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    # CoE: defects = cups × intensity (1–3) × 4.
    defect_cups = models.PositiveSmallIntegerField(null=True, blank=True)
    defect_intensity = models.PositiveSmallIntegerField(null=True, blank=True)
    acidity_intensity = models.CharField(max_length=6, choices=Intensity.choices, blank=True)
    body_intensity = models.CharField(max_length=6, choices=Intensity.choices, blank=True)
    mouthfeel_intensity = models.CharField(max_length=6, choices=Intensity.choices, blank=True)  # CoE
    # CVA descriptive form: intensities 0–15 and check-all-that-apply categories.
    intensities = models.JSONField(default=dict, blank=True)
    descriptors = models.JSONField(default=list, blank=True)
    descriptor_notes = models.TextField(_("descriptors"), blank=True, max_length=2000)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)

    total = models.DecimalField(max_digits=6, decimal_places=2, editable=False)
    defects = models.DecimalField(max_digits=5, decimal_places=2, editable=False)
    final_score = models.DecimalField(max_digits=5, decimal_places=2, editable=False)

    original = models.FileField(storage=private_storage, upload_to=original_path, blank=True, max_length=200)
    original_sha256 = models.CharField(max_length=64, blank=True)
    original_content_type = models.CharField(max_length=40, blank=True)

    status = models.CharField(max_length=10, choices=SheetStatus.choices, default=SheetStatus.ACTIVE, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)
    import_job = models.UUIDField(null=True, blank=True, editable=False)
    import_row = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-cupped_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(protocol__in=scoring.PROTOCOLS), name="cupping_sheet_protocol_known"),
            models.CheckConstraint(
                condition=Q(final_score__gte=0) & Q(final_score__lte=100), name="cupping_sheet_score_range"
            ),
            # A task that runs an import twice cannot insert its rows twice.
            models.UniqueConstraint(
                fields=["import_job", "import_row"],
                condition=Q(import_job__isnull=False),
                name="cupping_sheet_import_row_once",
            ),
        ]
        indexes = [models.Index(fields=["lot", "protocol", "status", "independent"])]
        verbose_name = _("cupping sheet")
        verbose_name_plural = _("cupping sheets")

    def __str__(self) -> str:
        return f"{self.protocol} {self.final_score} for lot {self.lot_id} by {self.grader_id}"

    def values(self) -> dict[str, Any]:
        return {n: getattr(self, n) for n in scoring.fields_of(self.protocol)}

    def attributes(self) -> dict[str, Any]:
        return scoring.attribute_values(self.protocol, self.values())


class GreenGrading(models.Model):
    """A green-grading report, graded by ``scoring.grade`` on the rulebook its sample size calls
    for (350 g: SCA 2018; 300 g: older SCAA rules), with the lot's process at grading time."""

    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="green_gradings")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="green_gradings")
    graded_on = models.DateField(_("graded on"))
    rulebook = models.CharField(max_length=40, default=scoring.GRADING_RULEBOOK)
    sample_grams = models.PositiveSmallIntegerField(_("sample (g)"), default=scoring.SAMPLE_GRAMS)
    # The lot's process when graded: it decides whether out-of-range moisture fails or warns.
    process = models.CharField(_("process"), max_length=12, blank=True)
    defect_counts = models.JSONField(default=dict)
    full_defects = models.JSONField(default=dict, editable=False)
    category1_defects = models.PositiveIntegerField(editable=False)
    category2_defects = models.PositiveIntegerField(editable=False)
    quakers = models.PositiveIntegerField(_("quakers"))
    moisture_pct = models.DecimalField(_("moisture (%)"), max_digits=4, decimal_places=1)
    water_activity = models.DecimalField(_("water activity (aw)"), max_digits=4, decimal_places=3)
    # Contract information only: bean size is not part of the specialty grade (DOMAIN.md §5).
    screen_size = models.PositiveSmallIntegerField(_("screen size (1/64 in)"), null=True, blank=True)
    screen_off_pct = models.DecimalField(
        _("beans off the screen size (%)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    specialty = models.BooleanField(editable=False)
    grade_class = models.CharField(max_length=20, blank=True, editable=False)
    reasons = models.JSONField(default=list, editable=False)
    warnings = models.JSONField(default=list, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    status = models.CharField(max_length=10, choices=SheetStatus.choices, default=SheetStatus.ACTIVE, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-graded_on", "-id"]
        verbose_name = _("green-grading report")
        verbose_name_plural = _("green-grading reports")

    def __str__(self) -> str:
        return f"green grading {self.pk} for lot {self.lot_id}"

    def _moisture(self, *, warning: bool) -> str:
        return scoring.moisture_message(
            rulebook=self.rulebook, moisture_pct=self.moisture_pct, process=self.process, warning=warning
        )

    def reason_labels(self) -> list[str]:
        return [
            self._moisture(warning=False) if r == "moisture" else str(scoring.REASON_LABELS.get(r, r))
            for r in self.reasons
        ]

    def warning_labels(self) -> list[str]:
        return [self._moisture(warning=True) if w == "moisture" else str(w) for w in self.warnings]

    def rulebook_label(self) -> str:
        return str(scoring.RULEBOOK_LABELS.get(self.rulebook, self.rulebook))

    def grade_label(self) -> str:
        code = self.grade_class or ("specialty" if self.specialty else "not_specialty")
        return str(scoring.GRADE_LABELS.get(code, code))

    def defect_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "label": scoring.DEFECT_LABELS[name],
                "category": cat,
                "per": per,
                "beans": self.defect_counts.get(name, 0),
                "full": self.full_defects.get(name, 0),
            }
            for name, (cat, per) in scoring.DEFECTS.items()
        ]


class LotScore(models.Model):
    """The official score of a lot for one protocol, from the counting sheets of its current harvest
    (see ``cupping.services`` for the rule and ``cupping.selectors.lot_official_scores`` to read it)."""

    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="official_scores")
    protocol = models.CharField(max_length=10, choices=Protocol.choices)
    harvest_year = models.PositiveSmallIntegerField()
    mean = models.DecimalField(max_digits=5, decimal_places=2)
    graders = models.PositiveIntegerField()
    spread = models.DecimalField(max_digits=5, decimal_places=2)
    attribute_means = models.JSONField(default=dict)
    is_catalogue_score = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lot", "protocol"]
        constraints = [models.UniqueConstraint(fields=["lot", "protocol"], name="lot_score_once_per_protocol")]
        verbose_name = _("official lot score")
        verbose_name_plural = _("official lot scores")

    def __str__(self) -> str:
        return f"lot {self.lot_id} {self.protocol} {self.mean}"
