"""Writes for farms, plots, lots, photos and the custody chain.

Every function is keyword-only, checks who is acting, runs in one transaction, writes its audit
row in that transaction and enqueues side effects on commit. Browser views and the API both call
these, so the rules cannot drift apart.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import filetype
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import GroupMember, Role
from core.errors import Conflict
from core.images import BadImage, check_pdf, resized, sanitize_image
from core.money import Currency, Incoterm, PriceUnit, per_kg, quantize_price
from core.registry import lot_hold_reason
from core.selectors import latest_usd_rates, usd_per_unit
from core.services import audit_log
from core.signals import send_evidence_changed
from lots import conf, custody, geo
from lots.models import (
    LOT_TRANSITIONS,
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
    Variety,
    VarietyAlias,
)
from lots.varieties import lookup_keys

# --- helpers ------------------------------------------------------------------------------------


def _is_moderator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "role", None) == Role.MODERATOR)


def _require_producer(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != Role.PRODUCER:
        raise PermissionDenied(_("Only producers can do this."))


def _require_owner(user: Any, owner_id: int) -> None:
    if not getattr(user, "is_authenticated", False) or user.pk != owner_id:
        raise PermissionDenied(_("Only the producer who owns this can change it."))


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not result.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return result


def _full_clean(instance: Any, exclude: Sequence[str] = ()) -> None:
    # Unique checks run against the database, which also enforces them; the messages are nicer.
    instance.full_clean(exclude=list(exclude))


# --- farms and plots ----------------------------------------------------------------------------

FARM_FIELDS = ("name", "country", "region", "altitude_masl")


def _farm_apply(farm: Farm, data: dict[str, Any]) -> None:
    for name in FARM_FIELDS:
        if name in data:
            setattr(farm, name, data[name] if data[name] is not None or name == "altitude_masl" else "")
    farm.name = (farm.name or "").strip()
    farm.country = (farm.country or "").strip().upper()
    farm.region = (farm.region or "").strip()
    if len(farm.country) != 2 or not farm.country.isalpha():
        raise ValidationError({"country": _("Use the two-letter country code, e.g. CO or ET.")})


@transaction.atomic
def farm_create(*, producer: Any, data: dict[str, Any]) -> Farm:
    _require_producer(producer)
    farm = Farm(producer=producer)
    _farm_apply(farm, data)
    if Farm.objects.filter(producer=producer, name__iexact=farm.name).exists():
        raise ValidationError({"name": _("You already have a farm with this name.")})
    _full_clean(farm, exclude=["producer"])
    farm.save()
    audit_log(actor=producer, action="farm.created", target=farm, data={"name": farm.name})
    return farm


@transaction.atomic
def farm_update(*, farm: Farm, by: Any, data: dict[str, Any]) -> Farm:
    farm = Farm.objects.select_for_update().get(pk=farm.pk)
    _require_owner(by, farm.producer_id)
    before = {n: getattr(farm, n) for n in FARM_FIELDS}
    _farm_apply(farm, data)
    if Farm.objects.filter(producer_id=farm.producer_id, name__iexact=farm.name).exclude(pk=farm.pk).exists():
        raise ValidationError({"name": _("You already have a farm with this name.")})
    _full_clean(farm, exclude=["producer"])
    if farm.country != before["country"]:
        # Every plot must lie in the farm's declared country (EUDR): a new country is checked
        # against the plots already drawn.
        for plot in farm.plots.order_by("name"):
            try:
                geo.validate_geometry(plot.geometry, plot.area_ha, farm.country)
            except ValidationError as exc:
                raise ValidationError(
                    {"country": _("Plot %(plot)s: %(why)s") % {"plot": plot.name, "why": " ".join(exc.messages)}}
                ) from exc
    farm.save(update_fields=list(FARM_FIELDS))
    changed = {n: str(getattr(farm, n)) for n in FARM_FIELDS if before[n] != getattr(farm, n)}
    audit_log(actor=by, action="farm.updated", target=farm, data=changed)
    if "country" in changed:
        Lot.objects.filter(farm=farm).update(origin_country=farm.country)
    if {"country", "region"} & changed.keys():
        for lot_id in farm.lots.values_list("pk", flat=True):
            send_evidence_changed(sender=Farm, lot_id=lot_id, kind="origin", detail="farm location changed", actor=by)
    return farm


PLOT_FIELDS = ("name", "region", "altitude_masl", "area_ha", "geometry")


def _plot_apply(plot: Plot, data: dict[str, Any]) -> list[Variety] | None:
    for name in ("name", "region", "altitude_masl"):
        if name in data:
            setattr(plot, name, data[name] if data[name] is not None or name == "altitude_masl" else "")
    plot.name = (plot.name or "").strip()
    plot.region = (plot.region or "").strip()
    if "area_ha" in data:
        plot.area_ha = _decimal(data["area_ha"], "area_ha")  # type: ignore[assignment]
    if plot.area_ha is None:
        raise ValidationError({"area_ha": _("Give the plot's area in hectares.")})
    if plot.area_ha <= 0:
        raise ValidationError({"area_ha": _("The area must be more than zero.")})
    country = plot.farm.country if plot.farm_id else None
    if "geometry" in data or plot.geometry is None:
        try:
            raw = geo.parse_geometry(data.get("geometry", plot.geometry))
            plot.geometry = geo.validate_geometry(raw, plot.area_ha, country)
        except ValidationError as exc:
            raise ValidationError({"geometry": exc.messages}) from exc
    else:
        # The area may have changed: a point that was fine for 3 ha is not for 10 ha.
        try:
            geo.validate_geometry(plot.geometry, plot.area_ha, country)
        except ValidationError as exc:
            raise ValidationError({"geometry": exc.messages}) from exc
    if "varieties" not in data:
        return None
    return varieties_resolve(data.get("varieties") or [])


def varieties_resolve(items: Iterable[Any]) -> list[Variety]:
    out: list[Variety] = []
    for item in items:
        if isinstance(item, Variety):
            out.append(item)
            continue
        variety = variety_normalise(str(item))
        if variety is None:
            match = variety_match(str(item))
            hint = f" {match.message}" if match.suggestion is not None or match.family else ""
            raise ValidationError({"varieties": _("Unknown variety: %(name)s.") % {"name": str(item)[:60]} + hint})
        out.append(variety)
    return out


@transaction.atomic
def plot_create(*, farm: Farm, by: Any, data: dict[str, Any]) -> Plot:
    _require_owner(by, farm.producer_id)
    plot = Plot(farm=farm)
    varieties = _plot_apply(plot, data)
    if Plot.objects.filter(farm=farm, name__iexact=plot.name).exists():
        raise ValidationError({"name": _("This farm already has a plot with this name.")})
    _full_clean(plot, exclude=["farm", "varieties"])
    plot.save()
    if varieties is not None:
        plot.varieties.set(varieties)
    audit_log(actor=by, action="plot.created", target=plot, data={"name": plot.name, "area_ha": str(plot.area_ha)})
    return plot


@transaction.atomic
def plot_update(*, plot: Plot, by: Any, data: dict[str, Any]) -> Plot:
    plot = Plot.objects.select_for_update().select_related("farm").get(pk=plot.pk)
    _require_owner(by, plot.farm.producer_id)
    before = {n: getattr(plot, n) for n in PLOT_FIELDS}
    varieties = _plot_apply(plot, data)
    if Plot.objects.filter(farm=plot.farm, name__iexact=plot.name).exclude(pk=plot.pk).exists():
        raise ValidationError({"name": _("This farm already has a plot with this name.")})
    _full_clean(plot, exclude=["farm", "varieties"])
    plot.save(update_fields=list(PLOT_FIELDS))
    if varieties is not None:
        plot.varieties.set(varieties)
    changed = [n for n in PLOT_FIELDS if before[n] != getattr(plot, n)]
    audit_log(actor=by, action="plot.updated", target=plot, data={"changed": changed})
    if changed:
        for lot_id in plot.lots.values_list("pk", flat=True):
            send_evidence_changed(sender=Plot, lot_id=lot_id, kind="origin", detail="plot changed", actor=by)
    return plot


# --- varieties ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VarietyMatch:
    """What a typed variety name means (DOMAIN.md §8).

    ``variety``: the canonical variety for an exact spelling or alias. ``suggestion``: a close match
    (rapidfuzz) the producer must confirm. ``family``: the name is a family (F1 hybrid, Landrace),
    whose ``members`` the producer chooses from.
    """

    text: str
    variety: Variety | None = None
    suggestion: Variety | None = None
    score: float | None = None
    family: str = ""
    members: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        if self.suggestion is not None:
            return _("Did you mean %(name)s?") % {"name": self.suggestion.name}
        if self.family:
            return _("%(family)s is a family of varieties (%(members)s…): name the variety if you know it.") % {
                "family": self.family,
                "members": ", ".join(self.members[:4]),
            }
        if self.text and self.variety is None:
            return _("%(name)s is not in our list of varieties; it is kept as written.") % {"name": self.text}
        return ""


def variety_match(text: str) -> VarietyMatch:
    """Match a typed name: alias first, then family names, then a fuzzy match over every alias."""
    from rapidfuzz import fuzz, process

    from lots.varieties import family_of, normalise

    # Control characters (a NUL would break the database query) are never part of a name.
    text = "".join(c for c in (text or "") if unicodedata.category(c) != "Cc").strip()[:100]
    if not text:
        return VarietyMatch(text)
    exact = variety_normalise(text)
    if exact is not None:
        return VarietyMatch(text, variety=exact)
    family = family_of(text)
    if family:
        members = Variety.objects.filter(family=family).order_by("name").values_list("name", flat=True)
        return VarietyMatch(text, family=family, members=tuple(members))
    aliases = dict(VarietyAlias.objects.values_list("alias", "variety_id"))
    found = process.extractOne(
        normalise(text), list(aliases), scorer=fuzz.WRatio, score_cutoff=conf.variety_fuzzy_min()
    )
    if found is None:
        return VarietyMatch(text)
    alias, score, _index = found
    return VarietyMatch(text, suggestion=Variety.objects.get(pk=aliases[alias]), score=round(float(score), 1))


def variety_note(lot: Lot) -> str:
    """What the producer is told about the lot's variety, without a query (lists show it per lot)."""
    from lots.models import VarietyStatus
    from lots.varieties import family_of

    if lot.variety_status == VarietyStatus.SUGGESTED and lot.variety_suggestion is not None:
        return _("Did you mean %(name)s?") % {"name": lot.variety_suggestion.name}
    if lot.variety_status != VarietyStatus.UNMAPPED:
        return ""
    family = family_of(lot.variety_as_declared)
    if family:
        return _("%(family)s is a family of varieties: name the variety if you know it.") % {"family": family}
    return _("%(name)s is not in our list of varieties; it is kept as written.") % {"name": lot.variety_as_declared}


def _unlisted_note(name: str) -> None:
    from lots.models import UnlistedVariety
    from lots.varieties import normalise

    key = normalise(name)[:100]
    if key:
        UnlistedVariety.objects.get_or_create(key=key, defaults={"name": name[:100]})


def _apply_variety(lot: Lot, text: str | None, answer: str) -> None:
    """Set the lot's variety from the typed ``text`` and the producer's ``answer`` to a close match.

    ``text`` None means the name was not sent. ``answer`` is "" (none yet), "accept" (use the
    suggested variety) or "keep" (keep the name as written, unmapped, for moderators to map).
    """
    from lots.models import VarietyStatus

    settled = (VarietyStatus.CONFIRMED, VarietyStatus.MAPPED, VarietyStatus.UNMAPPED)
    if text and text == lot.variety_as_declared and lot.variety_status in settled and not answer:
        # The same name sent again (every form post does): keep the producer's or moderator's
        # answer, unless the name has meanwhile become a known alias.
        exact = variety_normalise(text)
        if exact is not None and lot.variety_status == VarietyStatus.UNMAPPED:
            lot.variety, lot.variety_status = exact, VarietyStatus.MATCHED
        return
    if text:
        match = variety_match(text)
        lot.variety_as_declared = text[:100]
        lot.variety = match.variety
        lot.variety_suggestion = match.suggestion
        if match.variety is not None:
            lot.variety_status = VarietyStatus.MATCHED
        elif match.suggestion is not None:
            lot.variety_status = VarietyStatus.SUGGESTED
        else:
            lot.variety_status = VarietyStatus.UNMAPPED
            _unlisted_note(text)
    elif text == "":
        lot.variety, lot.variety_suggestion, lot.variety_status, lot.variety_as_declared = None, None, "", ""
    if not answer:
        return
    if lot.variety_status != VarietyStatus.SUGGESTED or lot.variety_suggestion is None:
        raise ValidationError({"variety_match": _("There is no suggested variety to confirm for this lot.")})
    if answer == "accept":
        lot.variety, lot.variety_status = lot.variety_suggestion, VarietyStatus.CONFIRMED
    else:
        lot.variety, lot.variety_status = None, VarietyStatus.UNMAPPED
        _unlisted_note(lot.variety_as_declared)
    lot.variety_suggestion = None


@transaction.atomic
def unlisted_variety_map(*, unlisted: Any, variety: Variety, by: Any) -> int:
    """A moderator maps a kept name to a canonical variety; returns how many lots now carry it.

    The name becomes an alias (future lots typed that way match at once) and every lot declared
    with it, still unmapped, gets the variety: the catalogue's variety filter finds them.
    """
    from lots.models import UnlistedVariety, VarietyStatus
    from lots.varieties import normalise

    if not _is_moderator(by) and not getattr(by, "is_superuser", False):
        raise PermissionDenied(_("Only moderators map variety names."))
    item = UnlistedVariety.objects.select_for_update().get(pk=unlisted.pk)
    existing = VarietyAlias.objects.filter(alias=item.key).first()
    if existing is not None and existing.variety_id != variety.pk:
        raise ValidationError({"variety": _("This name is already an alias of %(name)s.") % {"name": existing.variety}})
    VarietyAlias.objects.get_or_create(alias=item.key, defaults={"variety": variety})
    item.variety, item.mapped_by, item.mapped_at = variety, by, timezone.now()
    item.save(update_fields=["variety", "mapped_by", "mapped_at"])
    candidates = Lot.objects.filter(
        variety__isnull=True, variety_status__in=[VarietyStatus.UNMAPPED, VarietyStatus.SUGGESTED]
    ).exclude(variety_as_declared="")
    lot_ids = [pk for pk, name in candidates.values_list("pk", "variety_as_declared") if normalise(name) == item.key]
    updated = Lot.objects.filter(pk__in=lot_ids, variety__isnull=True).update(
        variety=variety, variety_status=VarietyStatus.MAPPED, variety_suggestion=None
    )
    audit_log(
        actor=by,
        action="variety.mapped",
        target=item,
        data={"name": item.name, "variety": variety.name, "lots": lot_ids},
    )
    return updated


def variety_normalise(text: str) -> Variety | None:
    """The canonical variety for a spelling (Geisha → Gesha), or None when it is unknown."""
    keys = lookup_keys(text)
    if not keys or not keys[0]:
        return None
    aliases = {a.alias: a for a in VarietyAlias.objects.select_related("variety").filter(alias__in=keys)}
    for key in keys:
        if key in aliases:
            return aliases[key].variety
    return None


# --- lots ---------------------------------------------------------------------------------------

# Which evidence kind a change of each field is (core.signals.EVIDENCE_KINDS).
EVIDENCE_FIELDS: dict[str, str] = {
    "weight_kg": "weight",
    "price": "price",
    "currency": "price",
    "price_unit": "price",
    "incoterm": "price",
    "incoterm_place": "price",
    "farm": "origin",
    "plots": "origin",
    "group_members": "origin",
    "harvest_year": "harvest_year",
    "harvest_start": "harvest_year",
    "harvest_end": "harvest_year",
    "process": "process",
    "honey_colour": "process",
    "process_modifiers": "process",
    "additives": "process",
    "additives_detail": "process",
    "fermentation_hours": "process",
    "drying_method": "process",
    "drying_days": "process",
}

SCALAR_FIELDS = (
    "name",
    "code",
    "variety_as_declared",
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
    "weight_kg",
    "packaging",
    "package_size_kg",
    "package_count",
    "moisture_pct",
    "water_activity",
    "story",
    "price",
    "currency",
    "price_unit",
    "incoterm",
    "incoterm_place",
)
DECIMAL_FIELDS = ("fermentation_hours", "weight_kg", "package_size_kg", "moisture_pct", "water_activity", "price")
TEXT_FIELDS = (
    "name",
    "code",
    "variety_as_declared",
    "honey_colour",
    "additives_detail",
    "drying_method",
    "packaging",
    "story",
    "incoterm_place",
)
LOT_EDITABLE = (*SCALAR_FIELDS, "variety", "variety_match", "farm", "plots", "group_members")


def price_usd_per_kg(
    price: Decimal | None, currency: str, unit: str, rates: dict[str, Decimal] | None = None
) -> Decimal | None:
    """The asking price in USD per kg, from the latest exchange rate; None when no rate is known."""
    if price is None:
        return None
    rate = (rates or {}).get(currency) if rates is not None else usd_per_unit(currency)
    if rate is None:
        return None
    return quantize_price(per_kg(Decimal(price), unit) * Decimal(rate))


def _choice(value: Any, choices: Any, field: str, *, blank: bool = False) -> str:
    value = "" if value is None else str(value)
    if blank and value == "":
        return ""
    if value not in choices.values:
        raise ValidationError({field: _("Choose one of the listed options.")})
    return value


@dataclass
class _Relations:
    farm: Farm | None
    plots: list[Plot] | None
    group_members: list[GroupMember] | None
    variety_text: str | None


def _lot_apply(lot: Lot, producer: Any, data: dict[str, Any]) -> _Relations:
    """Copy ``data`` onto ``lot`` and check everything that involves more than one field."""
    unknown = set(data) - set(LOT_EDITABLE) - {"version"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set.")})
    for name in SCALAR_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in DECIMAL_FIELDS:
            value = _decimal(value, name)
        elif name in TEXT_FIELDS:
            value = "" if value is None else str(value).strip()
        setattr(lot, name, value)
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, choices, blank in (
        ("process", Process, False),
        ("additives", Additives, False),
        ("currency", Currency, False),
        ("price_unit", PriceUnit, False),
        ("incoterm", Incoterm, False),
        ("drying_method", DryingMethod, True),
        ("packaging", Packaging, True),
        ("honey_colour", HoneyColour, True),
    ):
        try:
            setattr(lot, field, _choice(getattr(lot, field), choices, field, blank=blank))
        except ValidationError:
            if field == "additives":
                err(field, _("Say whether anything was added during fermentation (infusion, co-fermentation)."))
            else:
                err(field, _("Choose one of the listed options."))
    modifiers = lot.process_modifiers or []
    if not isinstance(modifiers, list) or any(m not in ProcessModifier.values for m in modifiers):
        err("process_modifiers", _("Choose modifiers from the list."))
    else:
        lot.process_modifiers = sorted(set(modifiers))
    if lot.process == Process.HONEY and not lot.honey_colour:
        err("honey_colour", _("Give the honey colour (white, yellow, red or black)."))
    if lot.process and lot.process != Process.HONEY:
        lot.honey_colour = ""
    if lot.additives and lot.additives != Additives.NONE and not lot.additives_detail:
        err("additives_detail", _("Say what was added: infused and co-fermented coffees must be disclosed."))
    if lot.additives == Additives.NONE:
        lot.additives_detail = ""
    if lot.harvest_start and lot.harvest_end and lot.harvest_start > lot.harvest_end:
        err("harvest_end", _("The harvest cannot end before it starts."))
    if lot.harvest_start and not lot.harvest_year:
        lot.harvest_year = lot.harvest_start.year
    if lot.harvest_start and lot.harvest_year and lot.harvest_start.year != lot.harvest_year:
        err(
            "harvest_year",
            _("The harvest year is the year the harvest started (%(y)s).") % {"y": lot.harvest_start.year},
        )
    if lot.weight_kg is not None and lot.weight_kg <= 0:
        err("weight_kg", _("The green weight must be more than zero."))
    if lot.weight_kg is not None and lot.reserved_kg and lot.weight_kg < lot.reserved_kg:
        err(
            "weight_kg",
            _("%(kg)s kg are already committed to buyers; the weight cannot be lower.") % {"kg": lot.reserved_kg},
        )
    if lot.price is not None and lot.price <= 0:
        err("price", _("The price must be more than zero."))
    if (lot.package_size_kg is None) != (lot.package_count is None) and lot.packaging:
        err("package_count", _("Give both the package size and the number of packages."))
    if lot.package_size_kg is not None and lot.package_size_kg <= 0:
        err("package_size_kg", _("The package size must be more than zero."))

    rel = _Relations(farm=None, plots=None, group_members=None, variety_text=None)
    if "farm" in data:
        farm = data["farm"]
        if farm is not None and not isinstance(farm, Farm):
            farm = Farm.objects.filter(pk=farm).first() if str(farm).isdigit() else None
            if farm is None:
                err("farm", _("Choose one of your farms."))
        if isinstance(farm, Farm) and farm.producer_id != producer.pk:
            err("farm", _("Choose one of your farms."))
            farm = None
        rel.farm = farm if isinstance(farm, Farm) else None
        lot.farm = rel.farm
    if "plots" in data:
        items = list(data["plots"] or [])
        ids = [p.pk if isinstance(p, Plot) else p for p in items]
        plots = list(Plot.objects.filter(pk__in=[i for i in ids if str(i).isdigit()]).select_related("farm"))
        if len(plots) != len(set(ids)) or any(p.farm.producer_id != producer.pk for p in plots):
            err("plots", _("Choose plots of your own farms."))
        elif lot.farm_id and any(p.farm_id != lot.farm_id for p in plots):
            err("plots", _("The plots must belong to the lot's farm."))
        elif plots and not lot.farm_id:
            if len({p.farm_id for p in plots}) == 1:
                lot.farm = plots[0].farm
            else:
                err("plots", _("The plots must belong to one farm."))
        rel.plots = plots
    # Moving a lot to another farm must not leave it pointing at the old farm's plots.
    moved_farm = "farm" in data and "plots" not in data and lot.pk and lot.farm_id
    if moved_farm and lot.farm_id is not None and lot.plots.exclude(farm_id=lot.farm_id).exists():
        err("plots", _("The plots must belong to the lot's farm."))
    if "group_members" in data:
        items = list(data["group_members"] or [])
        ids = [m.pk if isinstance(m, GroupMember) else m for m in items]
        # Locked (lot, then member, as accounts.services takes them) so that a member cannot be
        # removed from the group between this check and the lot naming them.
        members = list(
            # of=self: the join to the profile must not lock the profile row too (deadlock with
            # a profile save that holds it and waits for these members).
            GroupMember.objects.select_for_update(of=("self",))
            .filter(pk__in=[i for i in ids if str(i).isdigit()], profile__user_id=producer.pk)
            .order_by("pk")
        )
        if len(members) != len(set(ids)):
            err("group_members", _("Choose members of your own producer group."))
        rel.group_members = members
    answer = str(data.get("variety_match") or "")
    if answer not in ("", "accept", "keep"):
        err("variety_match", _("Answer accept or keep."))
    elif "variety" in data or answer:
        text: str | None = None
        if "variety" in data:
            text = "" if data["variety"] is None else str(data["variety"]).strip()
            if isinstance(data["variety"], Variety):
                text = data["variety"].name
            rel.variety_text = text
        try:
            # The producer's own spelling is kept, known or not: it is what they declared.
            _apply_variety(lot, text, answer)
        except ValidationError as exc:
            for message in exc.message_dict.get("variety_match", exc.messages):
                err("variety_match", message)
    for required in ("name", "code", "process", "additives", "harvest_year", "weight_kg", "price"):
        if getattr(lot, required) in (None, "") and required not in errors:
            err(required, _("This field is required."))
    if errors:
        raise ValidationError(errors)
    lot.name = lot.name[:200]
    lot.code = lot.code[:60]
    try:
        _full_clean(
            lot,
            exclude=[
                "producer",
                "farm",
                "variety",
                "plots",
                "group_members",
                "classification",
                "price_usd_per_kg",
                "version",
                "reserved_kg",
                "sold_kg",
                "official_score",
                "official_score_protocol",
                "premium_ratio",
                "verified_badge",
                "listed_at",
            ],
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "__all__" in exc.error_dict:
            messages = list(exc.message_dict["__all__"])
            if any("code" in m.lower() for m in messages):
                raise ValidationError({"code": _("You already have a lot with this code.")}) from exc
        raise
    return rel


def _save_relations(lot: Lot, rel: _Relations) -> None:
    if rel.plots is not None:
        lot.plots.set(rel.plots)
    if rel.group_members is not None:
        lot.group_members.set(rel.group_members)


@transaction.atomic
def lot_create(*, producer: Any, data: dict[str, Any]) -> Lot:
    """A new draft lot. The additives disclosure is mandatory; the variety is normalised."""
    _require_producer(producer)
    lot = Lot(producer=producer, status=LotStatus.DRAFT, version=1)
    rel = _lot_apply(lot, producer, data)
    if Lot.objects.filter(producer=producer, code=lot.code).exists():
        raise ValidationError({"code": _("You already have a lot with this code.")})
    lot.price_usd_per_kg = price_usd_per_kg(lot.price, lot.currency, lot.price_unit)
    try:
        with transaction.atomic():
            lot.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("You already have a lot with this code.")}) from exc
    _save_relations(lot, rel)
    audit_log(actor=producer, action="lot.created", target=lot, data={"code": lot.code})
    return lot


def _snapshot(lot: Lot) -> dict[str, Any]:
    snap: dict[str, Any] = {n: getattr(lot, n) for n in SCALAR_FIELDS}
    snap["variety"] = lot.variety_id
    snap["farm"] = lot.farm_id
    snap["plots"] = sorted(lot.plots.values_list("pk", flat=True))
    snap["group_members"] = sorted(lot.group_members.values_list("pk", flat=True))
    return snap


@transaction.atomic
def lot_update(*, lot: Lot, by: Any, data: dict[str, Any], expected_version: int | None) -> Lot:
    """Change a lot if nobody else has changed it since ``expected_version`` was read.

    A stale version raises Conflict (HTTP 409 / "someone else changed this lot" on the page)
    instead of silently overwriting the other person's change.
    """
    locked = Lot.objects.select_for_update().get(pk=lot.pk)
    _require_owner(by, locked.producer_id)
    if expected_version is None:
        raise ValidationError({"version": _("Send the version of the lot you edited.")})
    if int(expected_version) != locked.version:
        raise Conflict(
            _("Someone else changed this lot while you were editing it. Reload it and make your change again."),
            extra={"current_version": locked.version},
        )
    before = _snapshot(locked)
    rel = _lot_apply(locked, by, data)
    terms_changed = [n for n in TRADE_TERMS if getattr(locked, n) != before[n]]
    if terms_changed:
        # Checked under the lot lock: an auction cannot open between this check and the save.
        _refuse_if_held(locked, fields=terms_changed)
    if Lot.objects.filter(producer_id=locked.producer_id, code=locked.code).exclude(pk=locked.pk).exists():
        raise ValidationError({"code": _("You already have a lot with this code.")})
    locked.price_usd_per_kg = price_usd_per_kg(locked.price, locked.currency, locked.price_unit)
    locked.version = F("version") + 1
    locked.save()
    _save_relations(locked, rel)
    locked.refresh_from_db()
    after = _snapshot(locked)
    changed = sorted(k for k in after if after[k] != before[k])
    audit_log(actor=by, action="lot.updated", target=locked, data={"changed": changed, "version": locked.version})
    if "weight_kg" in changed:
        # More (or fewer) kilograms than the contracts hold: listed again, or nothing left to sell.
        locked = lot_status_sync(lot=locked, by=by, reason="weight changed")
    for kind in sorted({EVIDENCE_FIELDS[k] for k in changed if k in EVIDENCE_FIELDS}):
        fields = ", ".join(k for k in changed if EVIDENCE_FIELDS.get(k) == kind)
        send_evidence_changed(sender=Lot, lot_id=locked.pk, kind=kind, detail=f"changed: {fields}", actor=by)
    return locked


# Statuses between which trade services (orders, auctions) move a lot for its buyers.
TRADE_STATUSES = {LotStatus.LISTED, LotStatus.RESERVED, LotStatus.SOLD_OUT}

# What a buyer buys or bids for: frozen while something holds the lot (an open auction).
TRADE_TERMS = ("weight_kg", "price", "currency", "price_unit", "incoterm", "incoterm_place")


def _refuse_if_held(lot: Lot, *, fields: Sequence[str] = ()) -> None:
    """Conflict when another app holds the lot (core.registry.register_lot_hold). Call under the lot lock."""
    reason = lot_hold_reason(lot.pk)
    if reason:
        raise Conflict(reason, extra={"status": lot.status, "held": True, "fields": list(fields)})


def trade_status(*, weight_kg: Decimal, reserved_kg: Decimal, sold_kg: Decimal) -> str:
    """The status a lot's kilograms call for.

    Listed while any kilogram is left to sell (a partial contract leaves the rest in the
    catalogue); reserved when every kilogram is committed to contracts and some are not paid
    yet; sold out when every kilogram is sold (paid for).
    """
    if reserved_kg < weight_kg:
        return LotStatus.LISTED
    if sold_kg >= weight_kg:
        return LotStatus.SOLD_OUT
    return LotStatus.RESERVED


def _listing_problems(lot: Lot) -> list[str]:
    problems = []
    plots = list(lot.plots.all())
    if not plots and not lot.group_members.exists():
        problems.append(_("Add the plot(s) the coffee comes from, or the named producers of your group."))
    for plot in plots:
        try:
            geo.validate_geometry(plot.geometry, plot.area_ha, plot.farm.country)
        except ValidationError as exc:
            problems.append(
                _("Plot %(name)s has no valid geolocation: %(why)s")
                % {"name": plot.name, "why": " ".join(exc.messages)}
            )
    if not lot.additives:
        problems.append(_("Disclose whether anything was added during fermentation."))
    return problems


def lot_transition(*, lot: Lot, to: str, by: Any, reason: str = "", system: bool = False) -> Lot:
    """The one guarded way to change a lot's status (LOT_TRANSITIONS), audited.

    Who may move a lot: its producer and moderators, any allowed move; the system acting for an
    order or an auction (``system=True``, with ``by`` the person whose action caused it, or
    ``by=None`` for background work), only between listed, reserved and sold out. Nobody else,
    whatever the statuses: a rival producer cannot take a lot off the market.

    While something holds the lot (an open auction), its status is frozen for everyone; the
    auction makes its own moves before it holds the lot and after it lets go. Repeating a move
    that already happened returns quietly.
    """
    if to not in LotStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    with transaction.atomic():
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        acting_for_trade = system or by is None
        if acting_for_trade:
            if not (locked.status in TRADE_STATUSES and to in TRADE_STATUSES):
                raise PermissionDenied(_("Only the producer who owns this lot can do this."))
        elif not (_is_moderator(by) or (getattr(by, "pk", None) == locked.producer_id)):
            raise PermissionDenied(_("Only the producer who owns this lot can do this."))
        if locked.status == to:
            return locked
        _refuse_if_held(locked, fields=["status"])
        if to not in LOT_TRANSITIONS.get(locked.status, set()):
            raise Conflict(
                _("A lot that is %(from)s cannot become %(to)s.")
                % {"from": LotStatus(locked.status).label, "to": LotStatus(to).label},
                extra={"status": locked.status},
            )
        if to == LotStatus.LISTED and locked.status in (LotStatus.DRAFT, LotStatus.WITHDRAWN):
            problems = _listing_problems(locked)
            if problems:
                raise ValidationError(problems)
        previous = locked.status
        locked.status = to
        fields = ["status", "version", "updated_at"]
        if to == LotStatus.LISTED and previous == LotStatus.DRAFT:
            locked.listed_at = timezone.now()
            fields.append("listed_at")
        locked.version = locked.version + 1
        locked.save(update_fields=fields)
        data: dict[str, Any] = {"from": previous, "to": to, "reason": reason[:500]}
        if acting_for_trade:
            data["system"] = True
        audit_log(actor=by, action="lot.status_changed", target=locked, data=data)
    lot.status, lot.version, lot.listed_at = locked.status, locked.version, locked.listed_at
    return locked


def lot_status_sync(*, lot: Lot, by: Any, reason: str) -> Lot:
    """Move a traded lot to the status its kilograms call for (``trade_status``), as the system.

    Left alone: lots outside the trade statuses (a draft or withdrawn lot keeps its status) and
    lots something holds (an auction keeps its lot reserved until it closes and calls this).
    """
    with transaction.atomic():
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        target = trade_status(weight_kg=locked.weight_kg, reserved_kg=locked.reserved_kg, sold_kg=locked.sold_kg)
        if locked.status not in TRADE_STATUSES or target == locked.status or lot_hold_reason(locked.pk):
            lot.status, lot.version = locked.status, locked.version
            return locked
        return lot_transition(lot=lot, to=target, by=by, reason=reason, system=True)


def lot_availability_set(*, lot: Lot, reserved_kg: Decimal, sold_kg: Decimal, by: Any, reason: str) -> Lot:
    """Record the kilograms committed to contracts and the kilograms sold, then sync the status.

    For the trade services (order created, paid, cancelled); the caller holds the lot's row lock
    and has checked that the contract may touch the lot (an order on an auctioned lot is the
    auction's own). The kilograms change by a guarded conditional update (the status read under
    the lock is the one we change from); the database's check constraints refuse an oversold
    lot. The status moves through ``lot_transition``, audited.
    """
    if not (Decimal(0) <= sold_kg <= reserved_kg <= lot.weight_kg):
        raise Conflict(
            _("Only %(available)s kg of this lot are still available.") % {"available": lot.available_kg},
            {"available_kg": str(lot.available_kg), "reserved_kg": str(reserved_kg)},
        )
    changed = Lot.objects.filter(pk=lot.pk, status=lot.status).update(
        reserved_kg=reserved_kg, sold_kg=sold_kg, updated_at=timezone.now()
    )
    if changed != 1:
        raise Conflict(_("The lot changed while this was being done. Please try again."))
    lot.reserved_kg, lot.sold_kg = reserved_kg, sold_kg
    audit_log(
        actor=by,
        action="lot.reservation_changed",
        target=lot,
        data={"reserved_kg": str(reserved_kg), "sold_kg": str(sold_kg), "reason": reason[:500]},
    )
    moved = lot_status_sync(lot=lot, by=by, reason=reason)
    lot.status, lot.version = moved.status, moved.version
    return lot


def lot_withdraw(*, lot: Lot, by: Any, reason: str = "") -> Lot:
    return lot_transition(lot=lot, to=LotStatus.WITHDRAWN, by=by, reason=reason)


def lots_reprice(*, lot_ids: Iterable[int] | None = None) -> int:
    """Recompute price_usd_per_kg from the latest rates (after rates change); returns rows changed."""
    rates = latest_usd_rates()
    qs = Lot.objects.all() if lot_ids is None else Lot.objects.filter(pk__in=list(lot_ids))
    changed = 0
    for pk, price, currency, unit, current in qs.values_list(
        "pk", "price", "currency", "price_unit", "price_usd_per_kg"
    ).iterator(chunk_size=2000):
        value = price_usd_per_kg(price, currency, unit, rates)
        if value != current:
            changed += Lot.objects.filter(pk=pk, price=price, currency=currency, price_unit=unit).update(
                price_usd_per_kg=value
            )
    return changed


# --- photos -------------------------------------------------------------------------------------


@dataclass
class PhotoUpload:
    data: bytes
    kind: str = PhotoKind.OTHER
    caption: str = ""
    name: str = ""


def photos_add(*, lot: Lot, by: Any, uploads: Sequence[PhotoUpload]) -> list[LotPhoto]:
    """Sanitize every upload first; if any is bad, nothing is stored and the error says which."""
    _require_owner(by, lot.producer_id)
    if not uploads:
        raise ValidationError({"photos": _("Choose at least one photo.")})
    cleaned = []
    for index, upload in enumerate(uploads, start=1):
        label = upload.name or _("photo %(n)s") % {"n": index}
        if upload.kind not in PhotoKind.values:
            raise ValidationError({"kind": _("Choose what the photo shows.")})
        try:
            cleaned.append((upload, sanitize_image(upload.data)))
        except BadImage as exc:
            raise ValidationError({"photos": f"{label[:80]}: {exc}"}) from exc
    with transaction.atomic():
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        if locked.photos.count() + len(cleaned) > conf.MAX_PHOTOS_PER_LOT:
            raise ValidationError(
                {"photos": _("A lot can have at most %(n)s photos.") % {"n": conf.MAX_PHOTOS_PER_LOT}}
            )
        photos = []
        for upload, clean in cleaned:
            photo = LotPhoto(
                lot=locked,
                kind=upload.kind,
                caption=upload.caption.strip()[:200],
                original_sha256=hashlib.sha256(upload.data).hexdigest(),
                taken_at=clean.taken_at,
                gps_lat=clean.gps_lat,
                gps_lon=clean.gps_lon,
                uploaded_by=by,
                width=clean.width,
                height=clean.height,
            )
            photo.image.save("photo.jpg", ContentFile(clean.data), save=False)
            # Set after the file: the field's dimension hook resets them from storage, which may be remote.
            photo.width, photo.height = clean.width, clean.height
            photo.save()
            photos.append(photo)
            from lots.tasks import photo_make_derivatives

            photo_make_derivatives.delay_on_commit(photo.pk)
        audit_log(actor=by, action="lot.photos_added", target=locked, data={"photos": [p.pk for p in photos]})
        send_evidence_changed(
            sender=LotPhoto, lot_id=locked.pk, kind="photo", detail=f"{len(photos)} photo(s) added", actor=by
        )
    return photos


@transaction.atomic
def photo_remove(*, photo: LotPhoto, by: Any) -> None:
    """Delete a photo and every file it has, as the locked row says, after commit.

    The caller's ``photo`` may be stale: the derivatives task can have added files since it was
    read. The file names are therefore taken from the row re-read under its lock (the task holds
    the same lock while it writes), so nothing made meanwhile stays behind in public storage.
    """
    lot = Lot.objects.select_for_update().get(pk=photo.lot_id)
    _require_owner(by, lot.producer_id)
    locked = LotPhoto.objects.select_for_update().filter(pk=photo.pk).first()
    if locked is None:
        return  # removed already (a second click, another tab): nothing left to do
    files = [f for f in (locked.image, locked.thumb, locked.medium, locked.large) if f]
    names = [(f.storage, f.name) for f in files]
    photo_id = locked.pk
    locked.delete()
    audit_log(actor=by, action="lot.photo_removed", target=lot, data={"photo": photo_id})
    send_evidence_changed(sender=LotPhoto, lot_id=lot.pk, kind="photo", detail="photo removed", actor=by)

    def _delete_files() -> None:
        for storage, name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(_delete_files)


def photo_derivatives_make(*, photo_id: int) -> str:
    """Make thumbnail / medium / large from the sanitized image. Safe to run twice."""
    with transaction.atomic():
        photo = LotPhoto.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            return "gone"
        missing = [name for name in conf.DERIVATIVE_SIZES if not getattr(photo, name)]
        if not missing:
            return "already-done"
        with photo.image.open("rb") as fh:
            data = fh.read()
        for name in missing:
            getattr(photo, name).save(
                f"{name}.jpg", ContentFile(resized(data, conf.DERIVATIVE_SIZES[name])), save=False
            )
        photo.save(update_fields=missing)
    return "done"


# --- chain of custody ---------------------------------------------------------------------------


@dataclass
class DocumentUpload:
    name: str
    data: bytes


DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/webp"}


def _check_document(upload: DocumentUpload) -> str:
    """Return the sniffed content type; the document is stored as uploaded (it is evidence)."""
    if not upload.data:
        raise ValidationError({"documents": _("%(name)s is empty.") % {"name": upload.name[:80]}})
    if len(upload.data) > conf.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            {
                "documents": _("%(name)s is larger than %(mb)s MB.")
                % {"name": upload.name[:80], "mb": conf.DOCUMENT_MAX_BYTES // (1024 * 1024)}
            }
        )
    kind = filetype.guess(upload.data)
    mime = kind.mime if kind else ""
    if mime not in DOCUMENT_TYPES:
        raise ValidationError(
            {
                "documents": _("%(name)s: only PDF, JPEG, PNG and WebP documents are accepted.")
                % {"name": upload.name[:80]}
            }
        )
    try:
        if mime == "application/pdf":
            check_pdf(upload.data, max_bytes=conf.DOCUMENT_MAX_BYTES)
        else:
            # Kept byte for byte, but it must decode: no decompression bombs or truncated images.
            sanitize_image(upload.data, max_bytes=conf.DOCUMENT_MAX_BYTES)
    except BadImage as exc:
        raise ValidationError({"documents": f"{upload.name[:80]}: {exc}"}) from exc
    return mime


def custody_event_add(
    *,
    lot: Lot,
    by: Any,
    stage: str,
    occurred_on: Any,
    state_in: str,
    state_out: str,
    weight_in_kg: Any,
    weight_out_kg: Any,
    separated: bool,
    place: str = "",
    notes: str = "",
    corrects: CustodyEvent | int | None = None,
    documents: Sequence[DocumentUpload] = (),
) -> CustodyEvent:
    """Append one event to the lot's hash chain. Corrections are new events pointing at the old one."""
    _require_owner(by, lot.producer_id)
    errors: dict[str, str] = {}
    if stage not in CustodyStage.values:
        errors["stage"] = _("Choose a stage.")
    if state_in not in CoffeeState.values:
        errors["state_in"] = _("Choose the state of the coffee coming in.")
    if state_out not in CoffeeState.values:
        errors["state_out"] = _("Choose the state of the coffee going out.")
    w_in = _decimal(weight_in_kg, "weight_in_kg")
    w_out = _decimal(weight_out_kg, "weight_out_kg")
    if w_in is None or w_in <= 0:
        errors["weight_in_kg"] = _("The weight must be more than zero.")
    if w_out is None or w_out <= 0:
        errors["weight_out_kg"] = _("The weight must be more than zero.")
    for name, value in (("weight_in_kg", w_in), ("weight_out_kg", w_out)):
        if value is not None and (value >= Decimal("1e8") or value != value.quantize(Decimal("0.01"))):
            errors[name] = _("Give the weight in kg with at most two decimals.")
    if occurred_on is None:
        errors["occurred_on"] = _("Give the date.")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("The date cannot be in the future.")
    if not isinstance(separated, bool):
        errors["separated"] = _("Say whether the lot was kept separate.")
    if len(place or "") > 200:
        errors["place"] = _("At most 200 characters.")
    if len(notes or "") > 5000:
        errors["notes"] = _("At most 5000 characters.")
    if len(documents) > conf.MAX_DOCUMENTS_PER_EVENT:
        errors["documents"] = _("At most %(n)s documents per event.") % {"n": conf.MAX_DOCUMENTS_PER_EVENT}
    if errors:
        raise ValidationError(errors)
    assert w_in is not None and w_out is not None  # checked above
    checked = [(d, _check_document(d), hashlib.sha256(d.data).hexdigest()) for d in documents]
    with transaction.atomic():
        # The lot row lock serialises appends, so two writers cannot both take the same seq.
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        corrects_id = None
        if corrects is not None:
            corrects_id = corrects.pk if isinstance(corrects, CustodyEvent) else int(corrects)
            if not CustodyEvent.objects.filter(pk=corrects_id, lot=locked).exists():
                raise ValidationError({"corrects": _("The corrected event must belong to this lot.")})
        # The next event follows the anchored head, not whatever the last stored row is: had the
        # last event been deleted, appending after the row before it would hide the deletion.
        seq = locked.custody_count + 1
        prev_hash = locked.custody_head_hash
        recorded_at = timezone.now().replace(microsecond=0)
        names = [(d.name.strip()[:200] or "document", sha) for d, _mime, sha in checked]
        # One set of values for the hash and the row, so the two can never describe different events.
        fields: dict[str, Any] = {
            "seq": seq,
            "stage": stage,
            "occurred_on": occurred_on,
            "place": (place or "").strip(),
            "state_in": state_in,
            "state_out": state_out,
            "weight_in_kg": w_in,
            "weight_out_kg": w_out,
            "separated": separated,
            "notes": (notes or "").strip(),
            "corrects_id": corrects_id,
            "recorded_at": recorded_at,
        }
        content = custody.canonical_content(lot_id=locked.pk, recorded_by_id=by.pk, documents=names, **fields)
        try:
            with transaction.atomic():
                event = CustodyEvent.objects.create(
                    lot=locked,
                    recorded_by=by,
                    prev_hash=prev_hash,
                    content_hash=custody.chain_hash(prev_hash, content),
                    **fields,
                )
        except IntegrityError as exc:
            # A row already holds this seq: the chain has events its anchored head does not know.
            raise ValidationError(
                {"lot": _("This lot's custody chain does not match its recorded head; a moderator must review it.")}
            ) from exc
        locked.custody_count, locked.custody_head_hash = seq, event.content_hash
        locked.save(update_fields=["custody_count", "custody_head_hash"])
        for (upload, mime, sha), (name, _sha) in zip(checked, names, strict=True):
            doc = CustodyDocument(event=event, name=name, content_type=mime, size=len(upload.data), sha256=sha)
            doc.file.save("document", ContentFile(upload.data), save=False)
            doc.save()
        audit_log(
            actor=by,
            action="lot.custody_event_added",
            target=locked,
            data={"seq": seq, "stage": stage, "corrects": corrects_id, "documents": len(checked)},
        )
        send_evidence_changed(
            sender=CustodyEvent, lot_id=locked.pk, kind="custody", detail=f"event {seq} ({stage}) added", actor=by
        )
    return event


def custody_verify(lot: Lot | int) -> custody.ChainResult:
    """Recompute the chain: ``result.ok`` and ``result.first_broken_seq``."""
    return custody.verify(lot)
