"""Browser forms. They only parse input; ranges, steps and scores are checked by cupping.scoring
through the services, so the form, the API and the CSV import give the same messages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cupping import scoring
from cupping.models import Intensity, Protocol
from lots.models import Lot


def _number(label: Any, *, low: Any, high: Any, step: Any, required: bool = False) -> forms.CharField:
    # A CharField that is never "required" to the form: every value, present or not, reaches the
    # domain validation, so all problems are reported together with the same messages as the API.
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.NumberInput(
            attrs={
                "min": low,
                "max": high,
                "step": step,
                "inputmode": "decimal",
                "aria-required": str(required).lower(),
            }
        ),
    )


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the matching fields (the rest to the form)."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Lot) -> str:
        return f"#{obj.pk} · {obj.code} · {obj.name}"


class RequestForm(forms.Form):
    lot = LotChoiceField(queryset=Lot.objects.none(), label=_("Lot"))
    grader: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Q-grader"),
        empty_label=_("Open to any verified Q-grader"),
    )
    protocol = forms.ChoiceField(choices=[("", _("Either form")), *Protocol.choices], required=False, label=_("Form"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000, label=_("Note"))

    def __init__(self, *args: Any, lots: Any, graders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["lot"]).queryset = lots
        cast(forms.ModelChoiceField, self.fields["grader"]).queryset = graders


class SheetForm(forms.Form):
    lot = LotChoiceField(queryset=Lot.objects.none(), label=_("Lot"))
    cupped_on = forms.DateField(label=_("Cupped on"), widget=forms.DateInput(attrs={"type": "date"}))
    independent = forms.BooleanField(
        required=False,
        label=_("I declare that I am independent of the producer (no employment or ownership tie)."),
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000, label=_("Notes"))

    def __init__(self, *args: Any, protocol: str, lots: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        cast(forms.ModelChoiceField, self.fields["lot"]).queryset = lots
        if not self.is_bound:
            self.initial.setdefault("cupped_on", timezone.localdate())
        labels = scoring.FIELD_LABELS
        if protocol == scoring.SCA2004:
            for name in scoring.SCA_QUALITY:
                self.fields[name] = _number(labels[name], low="6", high="10", step="0.25", required=True)
            for name in scoring.SCA_CUPS + scoring.SCA_DEFECTS:
                self.fields[name] = _number(
                    labels[name], low="0", high="5", step="1", required=name in scoring.SCA_CUPS
                )
            for name in scoring.SCA_CUPS:
                self.initial.setdefault(name, 5)
            for name in scoring.SCA_DEFECTS:
                self.initial.setdefault(name, 0)
            choices = [("", "—"), *Intensity.choices]
            self.fields["acidity_intensity"] = forms.ChoiceField(
                choices=choices, required=False, label=_("Acidity intensity")
            )
            self.fields["body_intensity"] = forms.ChoiceField(
                choices=choices, required=False, label=_("Body intensity")
            )
        elif protocol == scoring.COE:
            for name in scoring.COE_ATTRIBUTES:
                self.fields[name] = _number(labels[name], low="0", high="8", step="0.5", required=True)
            self.fields["defect_cups"] = _number(labels["defect_cups"], low="0", high="5", step="1")
            self.initial.setdefault("defect_cups", 0)
            self.fields["defect_intensity"] = forms.ChoiceField(
                choices=[("", "—"), ("1", "1"), ("2", "2"), ("3", "3")],
                required=False,
                label=labels["defect_intensity"],
            )
            choices = [("", "—"), *Intensity.choices]
            self.fields["acidity_intensity"] = forms.ChoiceField(
                choices=choices, required=False, label=_("Acidity intensity")
            )
            self.fields["mouthfeel_intensity"] = forms.ChoiceField(
                choices=choices, required=False, label=_("Mouthfeel intensity")
            )
        else:
            for name in scoring.CVA_AFFECTIVE:
                self.fields[name] = _number(labels[name], low="1", high="9", step="1", required=True)
            for name in scoring.CVA_CUPS:
                self.fields[name] = _number(labels[name], low="0", high="5", step="1")
                self.initial.setdefault(name, 0)
            for name in scoring.CVA_INTENSITIES:
                self.fields[f"intensity_{name}"] = _number(
                    _("%(attribute)s intensity (0–15)") % {"attribute": labels[name]}, low="0", high="15", step="1"
                )
            self.fields["descriptors"] = forms.MultipleChoiceField(
                choices=list(scoring.DESCRIPTOR_LABELS.items()),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=_("Descriptors (check all that apply)"),
            )
            self.fields["descriptor_notes"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000, label=_("Descriptor notes")
            )
        # Let the domain messages speak for required values too.
        for field in self.fields.values():
            field.error_messages["required"] = _("This value is required.")

    def clean(self) -> dict[str, Any]:
        # Check the scores even when the lot or date is missing, so every problem shows at once.
        cleaned = super().clean() or {}
        for name, messages in scoring.parse_sheet(self.protocol, self.values()).errors.items():
            if name in self.fields and name not in self.errors:
                for message in messages:
                    self.add_error(name, message)
        return cleaned

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        if self.protocol == scoring.SCA2004:
            names = (*scoring.SCA_FIELDS, "acidity_intensity", "body_intensity")
            return {n: data.get(n) for n in names}
        if self.protocol == scoring.COE:
            coe_names = (*scoring.COE_FIELDS, "acidity_intensity", "mouthfeel_intensity")
            return {n: data.get(n) for n in coe_names}
        values: dict[str, Any] = {n: data.get(n) for n in scoring.CVA_FIELDS}
        values["intensities"] = {
            n: data.get(f"intensity_{n}") for n in scoring.CVA_INTENSITIES if data.get(f"intensity_{n}")
        }
        values["descriptors"] = data.get("descriptors") or []
        return values

    def score_fields(self) -> list[Any]:
        skip = {"lot", "cupped_on", "independent", "notes", "descriptors", "descriptor_notes"}
        if self.protocol == scoring.COE:
            skip |= {"acidity_intensity", "mouthfeel_intensity"}
        return [self[name] for name in self.fields if name not in skip and not name.startswith("intensity_")]

    def intensity_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("intensity_")]

    def noted_fields(self) -> list[Any]:
        """CoE: intensities that are noted on the form but not scored."""
        return [self[name] for name in ("acidity_intensity", "mouthfeel_intensity") if name in self.fields]


class GradingForm(forms.Form):
    lot = LotChoiceField(queryset=Lot.objects.none(), label=_("Lot"))
    graded_on = forms.DateField(label=_("Graded on"), widget=forms.DateInput(attrs={"type": "date"}))
    sample_grams = forms.TypedChoiceField(
        label=_("Sample"),
        coerce=int,
        choices=[
            (350, _("350 g — graded on the SCA 2018 limits")),
            (300, _("300 g — graded on the older SCAA rules")),
        ],
        initial=350,
    )
    quakers = _number(_("Quakers (in 100 g roasted)"), low="0", high="1000", step="1", required=True)
    moisture_pct = _number(_("Moisture (%)"), low="0", high="30", step="0.1", required=True)
    water_activity = _number(_("Water activity (aw)"), low="0", high="1", step="0.001", required=True)
    screen_size = _number(_("Screen size (1/64 in)"), low="8", high="20", step="1")
    screen_off_pct = _number(_("Beans off the screen size (%)"), low="0", high="100", step="0.1")
    screen_size.help_text = _("Contract information only: bean size is not part of the specialty grade.")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000, label=_("Notes"))

    def __init__(self, *args: Any, lots: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["lot"]).queryset = lots
        if not self.is_bound:
            self.initial.setdefault("graded_on", timezone.localdate())
            self.initial.setdefault("sample_grams", scoring.SAMPLE_GRAMS)
        for name, label in scoring.DEFECT_LABELS.items():
            self.fields[f"defect_{name}"] = _number(label, low="0", high=str(scoring.MAX_BEANS), step="1")
        for field in self.fields.values():
            field.error_messages["required"] = _("This value is required.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, messages in scoring.parse_grading(self.data_for_service()).errors.items():
            if name in self.fields and name not in self.errors:
                for message in messages:
                    self.add_error(name, message)
        return cleaned

    def data_for_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {
            n: d.get(n)
            for n in ("sample_grams", "quakers", "moisture_pct", "water_activity", "screen_size", "screen_off_pct")
        }
        out["defects"] = {n: d.get(f"defect_{n}") or 0 for n in scoring.DEFECTS}
        return out

    def _defect_fields(self, category: int) -> list[Any]:
        return [self[f"defect_{n}"] for n, (cat, _per) in scoring.DEFECTS.items() if cat == category]

    @property
    def defect_fields_1(self) -> list[Any]:
        return self._defect_fields(1)

    @property
    def defect_fields_2(self) -> list[Any]:
        return self._defect_fields(2)


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("Why is it withdrawn?"))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Session CSV"))
