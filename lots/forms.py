"""HTML forms. They parse input only; the rules live in lots.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import GroupMember
from core.money import Currency, Incoterm, PriceUnit
from lots.models import (
    Additives,
    Classification,
    CoffeeState,
    CustodyEvent,
    CustodyStage,
    DryingMethod,
    HoneyColour,
    Packaging,
    PhotoKind,
    Process,
    ProcessModifier,
)
from lots.selectors import SORTS, CatalogueFilters, producer_farms, producer_plots, variety_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (phones pick several photos at once)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class FarmForm(forms.Form):
    name = forms.CharField(label=_("Farm name"), max_length=200)
    country = forms.CharField(
        label=_("Country (two-letter code)"), max_length=2, min_length=2, help_text=_("e.g. CO, ET, PA")
    )
    region = forms.CharField(label=_("Region"), max_length=200, required=False)
    altitude_masl = forms.IntegerField(label=_("Altitude (masl)"), min_value=0, max_value=6000, required=False)


class PlotForm(forms.Form):
    name = forms.CharField(label=_("Plot name"), max_length=200)
    region = forms.CharField(label=_("Region"), max_length=200, required=False)
    altitude_masl = forms.IntegerField(label=_("Altitude (masl)"), min_value=0, max_value=6000, required=False)
    area_ha = forms.DecimalField(label=_("Area (ha)"), max_digits=9, decimal_places=3, min_value=Decimal("0.001"))
    # No cap on decimal places: phones give 7–8 and they are kept. At least six are required
    # (EUDR Art. 2(28)), which lots.geo checks with a message that says so.
    latitude = forms.DecimalField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        required=False,
        help_text=_("For a plot of up to 4 ha a single point is enough, with at least six decimals, e.g. 1.852345"),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        required=False,
        help_text=_("At least six decimals, e.g. -75.912345"),
    )
    geometry = forms.CharField(
        label=_("Boundary as GeoJSON"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        required=False,
        help_text=_(
            "Required above 4 ha: a Polygon or MultiPolygon, [longitude, latitude], first point repeated last."
        ),
    )
    varieties = forms.CharField(
        label=_("Varieties planted"), required=False, help_text=_("Separate names with commas, e.g. Gesha, Caturra")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("longitude" if lon is None else "latitude", _("Give both latitude and longitude."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        lat, lon = data.pop("latitude", None), data.pop("longitude", None)
        if not (data.get("geometry") or "").strip() and lat is not None and lon is not None:
            # Decimals as typed: "1.900000" keeps its six places (a float would make it 1.9).
            data["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        elif not (data.get("geometry") or "").strip():
            data["geometry"] = None
        data["varieties"] = [v.strip() for v in (data.get("varieties") or "").split(",") if v.strip()]
        return data


class LotForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Lot name"), max_length=200)
    code = forms.CharField(label=_("Lot code"), max_length=60)
    farm: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Farm"), queryset=None, required=False)  # type: ignore[arg-type]
    plots: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Plots"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # type: ignore[arg-type]
    )
    group_members = forms.ModelMultipleChoiceField(
        label=_("Producers of the group who contributed"),
        queryset=GroupMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    variety = forms.CharField(
        label=_("Variety"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "variety-list", "autocomplete": "off"}),
        help_text=_("Any spelling: Geisha is recognised as Gesha."),
    )
    process = forms.ChoiceField(label=_("Process"), choices=Process.choices)
    honey_colour = forms.ChoiceField(label=_("Honey colour"), choices=[("", "—"), *HoneyColour.choices], required=False)
    process_modifiers = forms.MultipleChoiceField(
        label=_("Process modifiers"),
        choices=ProcessModifier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    additives = forms.ChoiceField(
        label=_("Was anything added during fermentation? (mandatory disclosure)"),
        choices=Additives.choices,
        widget=forms.RadioSelect,
    )
    additives_detail = forms.CharField(label=_("What was added"), max_length=300, required=False)
    fermentation_hours = forms.DecimalField(
        label=_("Fermentation (hours)"), max_digits=6, decimal_places=1, min_value=0, max_value=2000, required=False
    )
    drying_method = forms.ChoiceField(
        label=_("Drying method"), choices=[("", "—"), *DryingMethod.choices], required=False
    )
    drying_days = forms.IntegerField(label=_("Drying (days)"), min_value=0, max_value=120, required=False)
    harvest_start = forms.DateField(label=_("Harvest start"), required=False, widget=DATE)
    harvest_end = forms.DateField(label=_("Harvest end"), required=False, widget=DATE)
    harvest_year = forms.IntegerField(label=_("Harvest year"), min_value=2000, max_value=2100)
    weight_kg = forms.DecimalField(
        label=_("Green weight (kg)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    packaging = forms.ChoiceField(label=_("Packaging"), choices=[("", "—"), *Packaging.choices], required=False)
    package_size_kg = forms.DecimalField(
        label=_("Package size (kg)"), max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    package_count = forms.IntegerField(label=_("Number of packages"), min_value=1, required=False)
    moisture_pct = forms.DecimalField(
        label=_("Moisture (%)"), max_digits=4, decimal_places=2, min_value=0, max_value=30, required=False
    )
    water_activity = forms.DecimalField(
        label=_("Water activity (aw)"), max_digits=4, decimal_places=3, min_value=0, max_value=1, required=False
    )
    story = forms.CharField(
        label=_("Story"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000, required=False
    )
    price = forms.DecimalField(label=_("Asking price"), max_digits=14, decimal_places=4, min_value=Decimal("0.0001"))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.USD)
    price_unit = forms.ChoiceField(label=_("Price per"), choices=PriceUnit.choices, initial=PriceUnit.KG)
    incoterm = forms.ChoiceField(label=_("Incoterm"), choices=Incoterm.choices, initial=Incoterm.FOB)
    incoterm_place = forms.CharField(label=_("Incoterm place"), max_length=200, required=False)

    def __init__(self, *args: Any, producer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["farm"].queryset = producer_farms(producer)  # type: ignore[attr-defined]
        self.fields["plots"].queryset = producer_plots(producer)  # type: ignore[attr-defined]
        self.fields["group_members"].queryset = GroupMember.objects.filter(profile__user=producer)  # type: ignore[attr-defined]
        self.variety_names = [name for _slug, name in variety_choices()]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["plots"] = list(data.get("plots") or [])
        data["group_members"] = list(data.get("group_members") or [])
        data["process_modifiers"] = list(data.get("process_modifiers") or [])
        return data


class PhotoUploadForm(forms.Form):
    photos = MultipleFileField(
        label=_("Photos"),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, up to 10 MB each. You can choose several at once."),
    )
    kind = forms.ChoiceField(label=_("What they show"), choices=PhotoKind.choices, initial=PhotoKind.PLOT)
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class CustodyEventForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=CustodyStage.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    state_in = forms.ChoiceField(label=_("State in"), choices=CoffeeState.choices)
    state_out = forms.ChoiceField(label=_("State out"), choices=CoffeeState.choices)
    weight_in_kg = forms.DecimalField(
        label=_("Weight in (kg)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    weight_out_kg = forms.DecimalField(
        label=_("Weight out (kg)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    separated = forms.BooleanField(label=_("Kept separate from other coffee"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False)
    corrects = forms.ModelChoiceField(
        label=_("This corrects an earlier event"), queryset=CustodyEvent.objects.none(), required=False
    )
    documents = MultipleFileField(
        label=_("Documents"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
        help_text=_("PDF or images; each is stored with its SHA-256 and shown only to you and moderators."),
    )

    def __init__(self, *args: Any, lot: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corrects"].queryset = CustodyEvent.objects.filter(lot=lot).order_by("seq")  # type: ignore[attr-defined]
        self.fields["corrects"].label_from_instance = lambda e: f"#{e.seq} {e.get_stage_display()} · {e.occurred_on}"  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=[("listed", "listed"), ("draft", "draft"), ("withdrawn", "withdrawn")])
    reason = forms.CharField(max_length=500, required=False)


SORT_LABELS = {
    "newest": _("Newest"),
    "price_asc": _("Price: low to high"),
    "price_desc": _("Price: high to low"),
    "score_desc": _("Score: high to low"),
    "premium_desc": _("Premium: high to low"),
    "premium_asc": _("Premium: low to high"),
    "weight_asc": _("Weight: small to large"),
    "weight_desc": _("Weight: large to small"),
}


class CatalogueFilterForm(forms.Form):
    """The catalogue's GET parameters, shared by the page, the CSV export and the API."""

    q = forms.CharField(
        label=_("Search"), max_length=200, required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    country = forms.CharField(label=_("Country"), max_length=2, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    process = forms.ChoiceField(label=_("Process"), choices=[("", _("Any")), *Process.choices], required=False)
    variety = forms.ChoiceField(label=_("Variety"), choices=[], required=False)
    score_min = forms.DecimalField(label=_("Score from"), min_value=0, max_value=100, decimal_places=2, required=False)
    score_max = forms.DecimalField(label=_("Score to"), min_value=0, max_value=100, decimal_places=2, required=False)
    price_min = forms.DecimalField(
        label=_("Price from (USD)"), min_value=0, max_digits=12, decimal_places=4, required=False
    )
    price_max = forms.DecimalField(
        label=_("Price to (USD)"), min_value=0, max_digits=12, decimal_places=4, required=False
    )
    price_unit = forms.ChoiceField(label=_("Price per"), choices=PriceUnit.choices, required=False)
    weight_min = forms.DecimalField(
        label=_("Weight from (kg)"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    weight_max = forms.DecimalField(
        label=_("Weight to (kg)"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    classification = forms.MultipleChoiceField(
        label=_("Lot size"), choices=Classification.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    verified = forms.BooleanField(label=_("Verified micro-lots only"), required=False)
    tag = forms.SlugField(label=_("Tag"), max_length=40, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=list(SORT_LABELS.items()), required=False)

    def __init__(self, *args: Any, varieties: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variety"].choices = [("", _("Any")), *(varieties if varieties is not None else variety_choices())]  # type: ignore[attr-defined]

    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. CO or ET."))
        return value

    def filters(self) -> CatalogueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return CatalogueFilters(
            q=data.get("q") or "",
            country=data.get("country") or "",
            region=(data.get("region") or "").strip(),
            process=data.get("process") or "",
            variety=data.get("variety") or "",
            score_min=data.get("score_min"),
            score_max=data.get("score_max"),
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            price_unit=data.get("price_unit") or "kg",
            weight_min=data.get("weight_min"),
            weight_max=data.get("weight_max"),
            classification=list(data.get("classification") or []),
            verified=bool(data.get("verified")),
            tag=data.get("tag") or "",
            sort=str(data.get("sort")) if data.get("sort") in SORTS else "newest",
        )
