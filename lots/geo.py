"""GeoJSON geometry of plots (RFC 7946, WGS 84, [longitude, latitude]) that an importer can file.

EU deforestation rules (Regulation (EU) 2023/1115, DOMAIN.md §11): a plot of up to 4 ha may be a
single point, a larger one needs a polygon (or multipolygon); coordinates carry at least six decimal
places (Art. 2(28)). The usual rejections each get their own message: a point for a large plot,
open rings, self-intersecting polygons, too few decimals, and swapped coordinates (a Colombian plot
at [2.19, -75.91] lands in Antarctica), which are caught by the coffee belt and by the farm's
declared country.

Coordinates are Decimals end to end: a JSON float turns ``1.900000`` into ``1.9`` and loses the
evidence of six decimals, so bodies are parsed with ``parse_float=Decimal`` (``loads``), stored as
exact JSON numbers (``DecimalJSONEncoder`` for the model field) and written back the same way
(``dumps``). Geometry work (validity, area, containment) is shapely and pyproj, not our own maths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import shapely
import simplejson
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from lots import conf

POINT_MAX_HA = Decimal(str(conf.POINT_MAX_HA))
MAX_VERTICES = 5000
_GEOD = Geod(ellps="WGS84")
M2_PER_HA = Decimal("10000")

# --- exact JSON ---------------------------------------------------------------------------------


def loads(text: str | bytes) -> Any:
    """JSON with every decimal number as a Decimal, digits and trailing zeros kept."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, **kwargs: Any) -> str:
    """JSON with Decimals written as the numbers they are (``1.900000``, not ``1.9`` or ``"1.900000"``)."""
    kwargs.setdefault("ensure_ascii", False)
    return simplejson.dumps(value, use_decimal=True, **kwargs)


class DecimalJSONEncoder(json.JSONEncoder):
    """For ``JSONField(encoder=...)``: Django calls ``json.dumps(value, cls=...)``, i.e. ``encode``."""

    def encode(self, o: Any) -> str:
        return dumps(o)


class DecimalJSONDecoder(json.JSONDecoder):
    """For ``JSONField(decoder=...)``: stored numbers come back as Decimals with their digits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["parse_float"] = Decimal
        super().__init__(*args, **kwargs)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _fmt(value: Decimal) -> str:
    return format(value, "f")


# --- parsing positions --------------------------------------------------------------------------


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(_("%(where)s must contain numbers only.") % {"where": where})
    try:
        # A float has already lost its trailing zeros; repr keeps every digit it still has.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("%(where)s must contain numbers only.") % {"where": where}) from exc
    if not number.is_finite():
        raise ValidationError(_("%(where)s must contain finite numbers.") % {"where": where})
    return number


def _position(value: Any, where: str) -> tuple[Decimal, Decimal]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ValidationError(_("%(where)s must be a [longitude, latitude] pair.") % {"where": where})
    lon, lat = _number(value[0], where), _number(value[1], where)
    if len(value) == 3:
        _number(value[2], where)  # an altitude is allowed by RFC 7946 and dropped
    if not -90 <= lat <= 90:
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            raise ValidationError(
                _("%(where)s: latitude %(lat)s is out of range; GeoJSON puts longitude first, then latitude.")
                % {"where": where, "lat": _fmt(lat)}
            )
        raise ValidationError(_("%(where)s: latitude must be between -90 and 90.") % {"where": where})
    if not -180 <= lon <= 180:
        raise ValidationError(_("%(where)s: longitude must be between -180 and 180.") % {"where": where})
    return lon, lat


def _ring(value: Any, where: str) -> list[tuple[Decimal, Decimal]]:
    if not isinstance(value, list) or len(value) < 4:
        raise ValidationError(
            _("%(where)s needs at least four positions (a triangle plus the closing point).") % {"where": where}
        )
    if len(value) > MAX_VERTICES:
        raise ValidationError(_("%(where)s has too many positions.") % {"where": where})
    points = [_position(p, f"{where}, position {i + 1}") for i, p in enumerate(value)]
    # RFC 7946 §3.1.6: rings are closed in the file. shapely would silently close an open ring,
    # and importers' validators reject it, so this stays a check of the GeoJSON itself.
    if points[0] != points[-1]:
        raise ValidationError(_("%(where)s is not closed: the last position must repeat the first.") % {"where": where})
    return points


def _polygon(value: Any, where: str) -> list[list[tuple[Decimal, Decimal]]]:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("%(where)s must be a list of rings.") % {"where": where})
    return [_ring(r, f"{where}, ring {i + 1}") for i, r in enumerate(value)]


def parse_geometry(raw: Any) -> dict[str, Any] | None:
    """Accept a geometry as a dict or GeoJSON text (also a Feature); return the bare geometry dict."""
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str | bytes):
        try:
            raw = loads(raw)
        except ValueError as exc:
            raise ValidationError(_("The geolocation is not valid JSON.")) from exc
    if not isinstance(raw, dict):
        raise ValidationError(_("The geolocation must be a GeoJSON object."))
    if raw.get("type") == "Feature":
        raw = raw.get("geometry")
        if not isinstance(raw, dict):
            raise ValidationError(_("The GeoJSON feature has no geometry."))
    return raw


def _positions(geometry: dict[str, Any]) -> list[tuple[Decimal, Decimal]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [(coords[0], coords[1])]
    polygons = [coords] if kind == "Polygon" else coords
    return [(p[0], p[1]) for poly in polygons for ring in poly for p in ring]


def _swapped(geometry: dict[str, Any]) -> dict[str, Any]:
    def flip(node: Any) -> Any:
        if node and not isinstance(node[0], list):
            return [node[1], node[0]]
        return [flip(n) for n in node]

    return {"type": geometry["type"], "coordinates": flip(geometry["coordinates"])}


def _structure(geometry: dict[str, Any] | None, area_ha: Decimal | None) -> dict[str, Any]:
    """Type, shape of the coordinates and ranges; returns type + coordinates as Decimals."""
    if geometry is None:
        raise ValidationError(_("Give the plot's geolocation: a point (up to 4 ha) or a polygon."))
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    large = area_ha is not None and Decimal(area_ha) > POINT_MAX_HA
    if kind == "Point":
        if large:
            raise ValidationError(
                _(
                    "A plot larger than %(max)s ha needs a polygon of its boundary, not a single point "
                    "(EU deforestation rules)."
                )
                % {"max": POINT_MAX_HA}
            )
        lon, lat = _position(coords, _("The point"))
        return {"type": "Point", "coordinates": [lon, lat]}
    if kind == "Polygon":
        rings = _polygon(coords, _("The polygon"))
        return {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]}
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise ValidationError(_("The multipolygon must be a list of polygons."))
        polygons = [_polygon(p, _("Polygon %(n)s") % {"n": i + 1}) for i, p in enumerate(coords)]
        return {"type": "MultiPolygon", "coordinates": [[[list(p) for p in r] for r in poly] for poly in polygons]}
    raise ValidationError(
        _("The geolocation must be a GeoJSON Point, Polygon or MultiPolygon (got %(kind)s).") % {"kind": str(kind)[:40]}
    )


def to_shape(geometry: dict[str, Any]) -> BaseGeometry:
    """The shapely geometry of a stored (or normalised) GeoJSON geometry, in float degrees."""
    return shape(
        {"type": geometry["type"], "coordinates": _floats(geometry["coordinates"])}  # shapely wants floats
    )


def _floats(node: Any) -> Any:
    if isinstance(node, list | tuple):
        return [_floats(n) for n in node]
    return float(node)


def _in_belt(geometry: dict[str, Any]) -> bool:
    limit = conf.coffee_belt_max_lat()
    return all(-limit <= lat <= limit for _lon, lat in _positions(geometry))


def _in_country(geometry: dict[str, Any], country: str) -> bool:
    from lots import boundaries

    outside = boundaries.distance_outside_m(country, to_shape(geometry))
    return outside is not None and outside <= conf.border_tolerance_m()


def _swap_hint(geometry: dict[str, Any], country: str | None) -> str:
    """A sentence suggesting the swap, when swapping lands the plot where it should be."""
    flipped = _swapped(geometry)
    if any(not (-90 <= lat <= 90 and -180 <= lon <= 180) for lon, lat in _positions(flipped)):
        return ""
    if not _in_belt(flipped) or (country and not _in_country(flipped, country)):
        return ""
    lon, lat = _positions(flipped)[0]
    return " " + _(
        "Latitude and longitude look swapped: GeoJSON puts longitude first, so the first position "
        "would be [%(lon)s, %(lat)s]."
    ) % {"lon": _fmt(lon), "lat": _fmt(lat)}


def _country_name(code: str) -> str:
    from lots import boundaries

    found = boundaries.country(code)
    return found.name() if found else code


def validate_geometry(
    geometry: dict[str, Any] | None, area_ha: Decimal | None, country: str | None = None
) -> dict[str, Any]:
    """Check a plot geometry as an importer's due-diligence statement needs it; return it normalised.

    Checks, in the order a producer can fix them: GeoJSON shape and ranges, the coffee belt (with a
    hint when latitude and longitude are swapped), at least six decimal places, a valid polygon
    (closed, not self-intersecting), and, when ``country`` (ISO alpha-2) is given, that the plot lies
    in that country. Raises ValidationError with a message that says what to fix.
    """
    normal = _structure(geometry, area_ha)
    limit = conf.coffee_belt_max_lat()
    if not _in_belt(normal):
        lat = next(lat for _lon, lat in _positions(normal) if not -limit <= lat <= limit)
        raise ValidationError(
            _(
                "Latitude %(lat)s is outside the coffee belt (%(max)s° N to %(max)s° S): this cannot be where "
                "the coffee grows."
            )
            % {"lat": _fmt(lat), "max": limit}
            + _swap_hint(normal, country)
        )
    minimum = conf.coordinate_min_decimals()
    short = [(lon, lat) for lon, lat in _positions(normal) if _places(lon) < minimum or _places(lat) < minimum]
    if short:
        lon, lat = short[0]
        raise ValidationError(
            _(
                "Give every coordinate with at least %(n)s decimal places (EU deforestation rules, "
                "Art. 2(28)): [%(lon)s, %(lat)s] has %(a)s and %(b)s."
            )
            % {"n": minimum, "lon": _fmt(lon), "lat": _fmt(lat), "a": _places(lon), "b": _places(lat)}
        )
    if normal["type"] != "Point":
        polygon = to_shape(normal)
        if not polygon.is_valid:
            raise ValidationError(
                _("The boundary is not a valid polygon (%(why)s): check that its edges do not cross.")
                % {"why": explain_validity(polygon)}
            )
    if country:
        from lots import boundaries

        if boundaries.country(country) is None:
            raise ValidationError(
                _("There is no boundary for the country code %(code)s: check the farm's country.") % {"code": country}
            )
        if not _in_country(normal, country):
            first = to_shape(normal).representative_point()
            where = boundaries.country_at(first.x, first.y)
            raise ValidationError(
                _("The plot is not in %(country)s, the farm's country: it lies %(where)s.")
                % {
                    "country": _country_name(country),
                    "where": _("in %(name)s") % {"name": where.name()} if where else _("outside any country"),
                }
                + _swap_hint(normal, country)
            )
    return normal


# --- area ---------------------------------------------------------------------------------------


def geometry_area_ha(geometry: dict[str, Any] | None) -> Decimal | None:
    """The geodesic area on the WGS 84 ellipsoid (pyproj), in hectares; None for a point."""
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    # Exterior rings counter-clockwise, holes clockwise: pyproj's signed area then subtracts holes.
    oriented = shapely.orient_polygons(to_shape(geometry), exterior_cw=False)
    area_m2, _perimeter = _GEOD.geometry_area_perimeter(oriented)
    return (Decimal(repr(abs(area_m2))) / M2_PER_HA).quantize(Decimal("0.001"))


@dataclass(frozen=True)
class AreaCheck:
    """How the polygon's area compares with the declared one (DOMAIN.md §11: within ±20 %)."""

    declared_ha: Decimal | None
    computed_ha: Decimal | None  # None for a point: nothing to compare
    agrees: bool | None
    message: str

    @property
    def usable_ha(self) -> Decimal | None:
        """The declared area when the yield check may use it; None when the polygon contradicts it."""
        return None if self.agrees is False else self.declared_ha


def area_check(geometry: dict[str, Any] | None, declared_ha: Decimal | None) -> AreaCheck:
    computed = None
    if geometry and geometry.get("type") in ("Polygon", "MultiPolygon"):
        try:
            computed = geometry_area_ha(geometry)
        except (KeyError, TypeError, ValueError, IndexError, shapely.errors.GEOSException):
            computed = None
    if computed is None or declared_ha is None or Decimal(declared_ha) <= 0:
        return AreaCheck(declared_ha, computed, None, "")
    declared = Decimal(declared_ha)
    tolerance = conf.area_tolerance()
    difference = abs(computed - declared) / declared
    shown = {
        "computed": computed,
        "declared": declared,
        "pct": (tolerance * 100).normalize(),
        "diff": (difference * 100).quantize(Decimal("1")),
    }
    if difference <= tolerance:
        return AreaCheck(
            declared,
            computed,
            True,
            _("The boundary covers %(computed)s ha, within ±%(pct)s %% of the declared %(declared)s ha.") % shown,
        )
    return AreaCheck(
        declared,
        computed,
        False,
        _(
            "The boundary covers %(computed)s ha but the plot is declared as %(declared)s ha (%(diff)s %% apart, "
            "more than ±%(pct)s %%): the declared area is not used for the yield check until they agree. "
            "Correct the area or redraw the boundary."
        )
        % shown,
    )


def geometry_centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    """A representative (lat, lon) for the plot summary: the point, or a point inside the polygon."""
    if not geometry:
        return None
    try:
        point = to_shape(geometry).representative_point()
    except (KeyError, TypeError, ValueError, IndexError, shapely.errors.GEOSException):
        return None
    return point.y, point.x
