"""Farms, plots, lots and their evidence: photos and the hash-chained custody trail."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from core.money import Currency, Incoterm, PriceUnit
from lots.geo import AreaCheck, DecimalJSONDecoder, DecimalJSONEncoder, area_check


def private_storage() -> Any:
    return storages["private"]


class Classification(models.TextChoices):
    NANO = "nano", _("Nano-lot")
    SMALL = "small", _("Small lot")
    MICRO = "micro", _("Micro-lot")
    REGULAR = "regular", _("Regular lot")


NANO_MAX_KG = Decimal("50")
SMALL_MAX_KG = Decimal("100")
MICRO_MAX_KG = Decimal("1000")
# The prev_hash of a chain's first custody event (lots.custody.GENESIS).
CUSTODY_GENESIS = "0" * 64


def classify(weight_kg: Decimal | None) -> str:
    """nano < 50 kg ≤ small < 100 kg ≤ micro ≤ 1,000 kg < regular."""
    if weight_kg is None:
        return ""
    if weight_kg < NANO_MAX_KG:
        return Classification.NANO
    if weight_kg < SMALL_MAX_KG:
        return Classification.SMALL
    if weight_kg <= MICRO_MAX_KG:
        return Classification.MICRO
    return Classification.REGULAR


class Farm(models.Model):
    producer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="farms")
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2 code, e.g. CO"))
    region = models.CharField(_("region"), max_length=200, blank=True)
    altitude_masl = models.PositiveIntegerField(
        _("altitude (masl)"), null=True, blank=True, validators=[MaxValueValidator(6000)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["producer", "name"], name="farm_unique_name_per_producer")]
        verbose_name = _("farm")
        verbose_name_plural = _("farms")

    def __str__(self) -> str:
        return self.name


class Variety(models.Model):
    """A canonical variety name; spellings map to it through ``VarietyAlias``."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_landrace = models.BooleanField(default=False)
    # A group the variety belongs to, e.g. "F1 hybrid" (DOMAIN.md §8): typing the family's name
    # alone asks which member is meant.
    family = models.CharField(max_length=60, blank=True, default="")

    class Meta:
        ordering = ["name"]
        verbose_name = _("variety")
        verbose_name_plural = _("varieties")

    def __str__(self) -> str:
        return self.name


class VarietyAlias(models.Model):
    """A spelling (stored normalised: lower case, single spaces) of a canonical variety."""

    alias = models.CharField(max_length=100, unique=True)
    variety = models.ForeignKey(Variety, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["alias"]
        verbose_name = _("variety alias")
        verbose_name_plural = _("variety aliases")

    def __str__(self) -> str:
        return f"{self.alias} → {self.variety}"


class UnlistedVariety(models.Model):
    """A variety name producers kept although it matches no canonical variety.

    Moderators map it to a canonical variety in the admin (lots.services.unlisted_variety_map):
    that adds the spelling as an alias and gives every lot declared with it the variety.
    """

    key = models.CharField(max_length=100, unique=True)  # lots.varieties.normalise of the name
    name = models.CharField(_("name as written"), max_length=100)
    variety = models.ForeignKey(
        Variety, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("maps to")
    )
    mapped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mapped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["variety", "key"]
        verbose_name = _("unlisted variety name")
        verbose_name_plural = _("unlisted variety names")

    def __str__(self) -> str:
        return self.name


class Plot(models.Model):
    """A piece of land. Geometry is GeoJSON (WGS 84, [lon, lat]); above 4 ha it must be a polygon."""

    farm = models.ForeignKey(Farm, on_delete=models.CASCADE, related_name="plots")
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("region"), max_length=200, blank=True)
    altitude_masl = models.PositiveIntegerField(
        _("altitude (masl)"), null=True, blank=True, validators=[MaxValueValidator(6000)]
    )
    area_ha = models.DecimalField(
        _("area (ha)"), max_digits=9, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    varieties = models.ManyToManyField(Variety, blank=True, related_name="plots", verbose_name=_("varieties planted"))
    # Coordinates stay Decimals in and out (lots.geo): "1.900000" keeps its six decimal places.
    geometry = models.JSONField(
        _("geolocation (GeoJSON geometry)"),
        null=True,
        blank=True,
        encoder=DecimalJSONEncoder,
        decoder=DecimalJSONDecoder,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["farm__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["farm", "name"], name="plot_unique_name_per_farm"),
            models.CheckConstraint(condition=Q(area_ha__gt=0), name="plot_area_positive"),
        ]
        verbose_name = _("plot")
        verbose_name_plural = _("plots")

    def __str__(self) -> str:
        return f"{self.farm.name} / {self.name}"

    @property
    def area_check(self) -> AreaCheck:
        """The polygon's geodesic area against the declared one (DOMAIN.md §11, ±20 % by default)."""
        return area_check(self.geometry, self.area_ha)

    @property
    def usable_area_ha(self) -> Decimal | None:
        """The declared area if the yield check may use it: None when the boundary contradicts it."""
        return self.area_check.usable_ha


class Process(models.TextChoices):
    WASHED = "washed", _("Washed")
    NATURAL = "natural", _("Natural")
    HONEY = "honey", _("Honey")
    SEMI_WASHED = "semi_washed", _("Semi-washed / wet-hulled")


class HoneyColour(models.TextChoices):
    WHITE = "white", _("White")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    BLACK = "black", _("Black")


class ProcessModifier(models.TextChoices):
    ANAEROBIC = "anaerobic", _("Anaerobic")
    CARBONIC = "carbonic_maceration", _("Carbonic maceration")
    THERMAL_SHOCK = "thermal_shock", _("Thermal shock")
    YEAST = "yeast_inoculated", _("Yeast-inoculated")
    LACTIC = "lactic", _("Lactic")
    EXTENDED = "extended_fermentation", _("Extended fermentation")
    COLD = "cold_fermentation", _("Cold fermentation")
    DARK_ROOM = "dark_room_drying", _("Dark-room / slow drying")


class Additives(models.TextChoices):
    """The mandatory disclosure: was anything added during fermentation?"""

    NONE = "none", _("Nothing added")
    INFUSED = "infused", _("Infused (fruit, spice, flavour)")
    CO_FERMENTED = "co_fermented", _("Co-fermented with other ingredients")
    OTHER = "other", _("Other additives")


class DryingMethod(models.TextChoices):
    RAISED_BEDS = "raised_beds", _("Raised beds")
    PATIO = "patio", _("Patio")
    TUNNEL = "tunnel", _("Solar tunnel / parabolic dryer")
    MECHANICAL = "mechanical", _("Mechanical dryer")


class Packaging(models.TextChoices):
    BAG = "bag", _("Bags")
    BOX = "box", _("Boxes")
    VACUUM = "vacuum", _("Vacuum packs")


class LotStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LISTED = "listed", _("Listed")
    RESERVED = "reserved", _("Reserved")
    SOLD_OUT = "sold_out", _("Sold out")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Which statuses may follow which; enforced by lots.services.lot_transition.
LOT_TRANSITIONS: dict[str, set[str]] = {
    LotStatus.DRAFT: {LotStatus.LISTED, LotStatus.WITHDRAWN},
    LotStatus.LISTED: {LotStatus.RESERVED, LotStatus.SOLD_OUT, LotStatus.WITHDRAWN, LotStatus.DRAFT},
    LotStatus.RESERVED: {LotStatus.LISTED, LotStatus.SOLD_OUT, LotStatus.WITHDRAWN},
    LotStatus.SOLD_OUT: {LotStatus.RESERVED, LotStatus.LISTED},
    LotStatus.WITHDRAWN: {LotStatus.DRAFT},
}
PUBLIC_STATUSES = (LotStatus.LISTED, LotStatus.RESERVED, LotStatus.SOLD_OUT)


class VerifiedBadge(models.TextChoices):
    NONE = "", _("Not verified")
    MICRO = "micro", _("Verified micro-lot")
    NANO = "nano", _("Verified nano-lot")


class VarietyStatus(models.TextChoices):
    """How a lot's declared variety relates to the canonical list."""

    NONE = "", _("No variety given")
    MATCHED = "matched", _("Recognised")
    SUGGESTED = "suggested", _("A close match awaits the producer's confirmation")
    CONFIRMED = "confirmed", _("Close match confirmed by the producer")
    UNMAPPED = "unmapped", _("Not in the list (kept as written)")
    MAPPED = "mapped", _("Mapped by a moderator")


class Lot(models.Model):
    producer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lots")
    farm = models.ForeignKey(Farm, null=True, blank=True, on_delete=models.PROTECT, related_name="lots")
    plots = models.ManyToManyField(Plot, blank=True, related_name="lots")
    group_members = models.ManyToManyField(
        "accounts.GroupMember", blank=True, related_name="lots", verbose_name=_("producers in the group")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("lot code"), max_length=60)
    variety = models.ForeignKey(Variety, null=True, blank=True, on_delete=models.PROTECT, related_name="lots")
    variety_as_declared = models.CharField(_("variety as written"), max_length=100, blank=True)
    variety_status = models.CharField(
        max_length=10, choices=VarietyStatus.choices, blank=True, default="", editable=False, db_index=True
    )
    # The close match offered for a spelling that is not in the list, until the producer answers.
    variety_suggestion = models.ForeignKey(
        Variety, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    process = models.CharField(_("process"), max_length=20, choices=Process.choices)
    honey_colour = models.CharField(_("honey colour"), max_length=10, choices=HoneyColour.choices, blank=True)
    process_modifiers = models.JSONField(_("process modifiers"), default=list, blank=True)
    additives = models.CharField(_("additives disclosure"), max_length=20, choices=Additives.choices)
    additives_detail = models.CharField(_("what was added"), max_length=300, blank=True)
    fermentation_hours = models.DecimalField(
        _("fermentation (hours)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("2000"))],
    )
    drying_method = models.CharField(_("drying method"), max_length=20, choices=DryingMethod.choices, blank=True)
    drying_days = models.PositiveSmallIntegerField(
        _("drying (days)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    harvest_start = models.DateField(_("harvest start"), null=True, blank=True)
    harvest_end = models.DateField(_("harvest end"), null=True, blank=True)
    harvest_year = models.PositiveSmallIntegerField(
        _("harvest year"),
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text=_("The year the harvest started"),
    )
    weight_kg = models.DecimalField(_("green weight (kg)"), max_digits=10, decimal_places=2)
    classification = models.CharField(max_length=10, choices=Classification.choices, editable=False, db_index=True)
    packaging = models.CharField(_("packaging"), max_length=10, choices=Packaging.choices, blank=True)
    package_size_kg = models.DecimalField(_("package size (kg)"), max_digits=7, decimal_places=2, null=True, blank=True)
    package_count = models.PositiveIntegerField(_("number of packages"), null=True, blank=True)
    moisture_pct = models.DecimalField(
        _("moisture (%)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("30"))],
    )
    water_activity = models.DecimalField(
        _("water activity (aw)"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    story = models.TextField(_("story"), blank=True, max_length=10000)
    price = models.DecimalField(_("asking price"), max_digits=14, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    price_unit = models.CharField(_("price unit"), max_length=2, choices=PriceUnit.choices, default=PriceUnit.KG)
    incoterm = models.CharField(_("incoterm"), max_length=3, choices=Incoterm.choices, default=Incoterm.FOB)
    incoterm_place = models.CharField(_("incoterm place"), max_length=200, blank=True)
    # Derived from price, unit and the latest exchange rate (lots.services keeps it current).
    price_usd_per_kg = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=LotStatus.choices, default=LotStatus.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # Kilograms committed to contracts that are not cancelled; never above weight_kg (constraint below).
    reserved_kg = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"), editable=False)
    # Of those, the kilograms whose contracts are paid: sold. All sold is "sold out"; all committed
    # but some not paid yet is "reserved" (lots.services.trade_status).
    sold_kg = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"), editable=False)
    # Denormalised for the catalogue; each owning app keeps its own detail tables.
    official_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, editable=False)
    official_score_protocol = models.CharField(max_length=10, blank=True, editable=False)
    premium_ratio = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True, editable=False)
    verified_badge = models.CharField(
        max_length=5, choices=VerifiedBadge.choices, blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    listed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Denormalised origin for the catalogue's country filter: the farm's country, or the producer
    # group's for lots without a farm. Kept by save() and lots.services (farm_update).
    origin_country = models.CharField(max_length=2, blank=True, default="", editable=False, db_index=True)
    # The custody chain's head: how many events it has and the last one's hash, written by
    # lots.services.custody_event_add in the transaction that appends the event. Verification holds
    # the chain against it, so removing the last event (which leaves a consistent chain) shows.
    custody_count = models.PositiveIntegerField(default=0, editable=False)
    custody_head_hash = models.CharField(max_length=64, default=CUSTODY_GENESIS, editable=False)

    class Meta:
        ordering = ["-listed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "code"], name="lot_code_unique_per_producer"),
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="lot_weight_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="lot_price_positive"),
            models.CheckConstraint(condition=Q(reserved_kg__gte=0), name="lot_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved_kg__lte=models.F("weight_kg")), name="lot_never_oversold"),
            models.CheckConstraint(condition=Q(sold_kg__gte=0), name="lot_sold_not_negative"),
            models.CheckConstraint(condition=Q(sold_kg__lte=models.F("reserved_kg")), name="lot_sold_within_reserved"),
            models.CheckConstraint(
                condition=Q(harvest_start__isnull=True)
                | Q(harvest_end__isnull=True)
                | Q(harvest_start__lte=models.F("harvest_end")),
                name="lot_harvest_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "classification"]),
            models.Index(fields=["status", "price_usd_per_kg"]),
            models.Index(fields=["status", "official_score"]),
            models.Index(fields=["status", "premium_ratio"]),
            models.Index(fields=["status", "origin_country"]),
        ]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.classification = classify(self.weight_kg)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "weight_kg" in update_fields:
            kwargs["update_fields"] = {*update_fields, "classification"}
        if update_fields is None or "farm" in update_fields:
            self.origin_country = self._origin_country()
            if update_fields is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "origin_country"}
        super().save(*args, **kwargs)

    def _origin_country(self) -> str:
        farm = self.farm if self.farm_id is not None else None
        if farm is not None:
            return farm.country
        profile = getattr(self.producer, "producer_profile", None) if self.producer_id else None
        return profile.country if profile is not None else ""

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def available_kg(self) -> Decimal:
        return self.weight_kg - self.reserved_kg

    @property
    def price_usd_per_lb(self) -> Decimal | None:
        from core.money import KG_PER_LB, quantize_price

        if self.price_usd_per_kg is None:
            return None
        return quantize_price(self.price_usd_per_kg * KG_PER_LB)

    @property
    def is_infused(self) -> bool:
        return self.additives not in ("", Additives.NONE)


class TagSource(models.TextChoices):
    """Who put a tag on a lot. Background work removes only the tags it added itself."""

    AUTO = "auto", _("Automatic (nano-lot alert)")
    MODERATOR = "moderator", _("A moderator")
    COMPETITION_RESULT = "competition_result", _("A verified competition result")


class LotTag(models.Model):
    """A label on a lot (e.g. ``competition``), set by background tasks or moderators."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="tags")
    tag = models.SlugField(max_length=40)
    # The default is a person's tag (the admin inline): only code that owns a tag marks it "auto".
    source = models.CharField(_("added by"), max_length=20, choices=TagSource.choices, default=TagSource.MODERATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tag"]
        constraints = [models.UniqueConstraint(fields=["lot", "tag"], name="lot_tag_once")]
        indexes = [models.Index(fields=["tag", "lot"])]
        verbose_name = _("lot tag")
        verbose_name_plural = _("lot tags")

    def __str__(self) -> str:
        return self.tag


def photo_path(instance: LotPhoto, filename: str) -> str:
    # Random names: nothing from the uploader's file name reaches the file system.
    return f"lots/{instance.lot_id}/{uuid.uuid4().hex}.jpg"


class PhotoKind(models.TextChoices):
    PLOT = "plot", _("Plot")
    CHERRIES = "cherries", _("Cherries")
    FERMENTATION = "fermentation", _("Fermentation")
    DRYING = "drying", _("Drying")
    PACKAGING = "packaging", _("Packaging")
    OTHER = "other", _("Other")


class LotPhoto(models.Model):
    """A sanitized photo (public) with its derivatives; capture time and GPS are private evidence."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("what it shows"), max_length=20, choices=PhotoKind.choices, default=PhotoKind.OTHER)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    thumb = models.ImageField(upload_to=photo_path, blank=True)
    medium = models.ImageField(upload_to=photo_path, blank=True)
    large = models.ImageField(upload_to=photo_path, blank=True)
    original_sha256 = models.CharField(max_length=64)
    # Private evidence from the original EXIF: shown to the producer and moderators only.
    taken_at = models.DateTimeField(null=True, blank=True)
    gps_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    gps_lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("lot photo")
        verbose_name_plural = _("lot photos")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class CustodyStage(models.TextChoices):
    HARVEST = "harvest", _("Harvest")
    DEPULPING = "depulping", _("Depulping")
    FERMENTATION = "fermentation", _("Fermentation")
    DRYING = "drying", _("Drying")
    # Wet-hulled (semi-washed) chains hull the parchment while still wet, then dry the green (DOMAIN.md §10).
    WET_HULLING = "wet_hulling", _("Wet hulling")
    MILLING = "milling", _("Milling")
    PACKAGING = "packaging", _("Packaging")
    WAREHOUSE = "warehouse", _("Warehouse")
    EXPORT = "export", _("Export")


class CoffeeState(models.TextChoices):
    CHERRY = "cherry", _("Cherry")
    DRIED_CHERRY = "dried_cherry", _("Dried cherry")
    PARCHMENT = "parchment", _("Parchment")
    GREEN = "green", _("Green")


class CustodyEvent(AppendOnlyModel):
    """One step of the chain of custody. Append-only and hash-linked to the previous event.

    ``content_hash`` = SHA-256 of the previous event's hash and this event's canonical content
    (including its documents' SHA-256), so editing any stored event breaks the chain from there on.
    Corrections are new events that point at the one they correct.
    """

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="custody_events")
    seq = models.PositiveIntegerField()
    stage = models.CharField(_("stage"), max_length=20, choices=CustodyStage.choices)
    occurred_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    state_in = models.CharField(_("state in"), max_length=20, choices=CoffeeState.choices)
    state_out = models.CharField(_("state out"), max_length=20, choices=CoffeeState.choices)
    weight_in_kg = models.DecimalField(_("weight in (kg)"), max_digits=10, decimal_places=2)
    weight_out_kg = models.DecimalField(_("weight out (kg)"), max_digits=10, decimal_places=2)
    separated = models.BooleanField(_("kept separate from other coffee"))
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["lot", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "seq"], name="custody_seq_unique"),
            models.CheckConstraint(
                condition=Q(weight_in_kg__gt=0) & Q(weight_out_kg__gt=0), name="custody_weights_positive"
            ),
        ]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")

    def __str__(self) -> str:
        return f"{self.lot_id}#{self.seq} {self.stage}"


def custody_document_path(instance: CustodyDocument, filename: str) -> str:
    return f"custody/{uuid.uuid4().hex}"


class CustodyDocument(AppendOnlyModel):
    """A document attached to a custody event (private evidence), identified by its SHA-256."""

    event = models.ForeignKey(CustodyEvent, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=custody_document_path, storage=private_storage)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("custody document")
        verbose_name_plural = _("custody documents")

    def __str__(self) -> str:
        return self.name
