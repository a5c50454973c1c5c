"""GeoJSON geometry validation for plots (RFC 7946, WGS 84, [longitude, latitude]).

EU deforestation rules (Regulation (EU) 2023/1115): a plot of up to 4 ha may be a single point;
a larger plot needs a polygon (or multipolygon). The usual rejections are a point for a large plot,
open rings and swapped coordinates, so each gets its own clear message.
"""

from __future__ import annotations

import itertools
import json
import math
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lots import conf

POINT_MAX_HA = Decimal(str(conf.POINT_MAX_HA))
MAX_VERTICES = 5000


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ValidationError(_("%(where)s must be a [longitude, latitude] pair.") % {"where": where})
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValidationError(_("%(where)s must contain numbers only.") % {"where": where})
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValidationError(_("%(where)s must contain finite numbers.") % {"where": where})
    if not -90 <= lat <= 90:
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            raise ValidationError(
                _("%(where)s: latitude %(lat)s is out of range; GeoJSON puts longitude first, then latitude.")
                % {"where": where, "lat": value[1]}
            )
        raise ValidationError(_("%(where)s: latitude must be between -90 and 90.") % {"where": where})
    if not -180 <= lon <= 180:
        raise ValidationError(_("%(where)s: longitude must be between -180 and 180.") % {"where": where})
    return lon, lat


def _ring(value: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(value, list) or len(value) < 4:
        raise ValidationError(
            _("%(where)s needs at least four positions (a triangle plus the closing point).") % {"where": where}
        )
    if len(value) > MAX_VERTICES:
        raise ValidationError(_("%(where)s has too many positions.") % {"where": where})
    points = [_position(p, f"{where}, position {i + 1}") for i, p in enumerate(value)]
    if points[0] != points[-1]:
        raise ValidationError(_("%(where)s is not closed: the last position must repeat the first.") % {"where": where})
    if len(set(points)) < 3:
        raise ValidationError(_("%(where)s must have at least three distinct corners.") % {"where": where})
    return points


def _polygon(value: Any, where: str) -> list[list[tuple[float, float]]]:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("%(where)s must be a list of rings.") % {"where": where})
    return [_ring(r, f"{where}, ring {i + 1}") for i, r in enumerate(value)]


def ring_area_ha(ring: list[tuple[float, float]]) -> float:
    """Approximate area of a lon/lat ring in hectares (spherical excess, good to ~0.5 % for plots)."""
    radius = 6371008.8
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(ring):
        total += math.radians(lon2 - lon1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return abs(total * radius * radius / 2) / 10_000


def parse_geometry(raw: Any) -> dict[str, Any] | None:
    """Accept a geometry as a dict or JSON text (also a Feature); return the bare geometry dict."""
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ValidationError(_("The geolocation is not valid JSON.")) from exc
    if not isinstance(raw, dict):
        raise ValidationError(_("The geolocation must be a GeoJSON object."))
    if raw.get("type") == "Feature":
        raw = raw.get("geometry")
        if not isinstance(raw, dict):
            raise ValidationError(_("The GeoJSON feature has no geometry."))
    return raw


def validate_geometry(geometry: dict[str, Any] | None, area_ha: Decimal | None) -> dict[str, Any]:
    """Check a plot geometry against its area; return it normalised (type + coordinates only).

    Raises ValidationError with a message that says what to fix.
    """
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


def geometry_area_ha(geometry: dict[str, Any] | None) -> float | None:
    if not geometry or geometry.get("type") == "Point":
        return None
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    total = 0.0
    for poly in polys:
        rings = [[tuple(p) for p in r] for r in poly]
        total += ring_area_ha(rings[0]) - sum(ring_area_ha(h) for h in rings[1:])
    return total


def geometry_centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    """A representative (lat, lon) for the plot summary: the point, or the mean of the outer ring."""
    if not geometry:
        return None
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return lat, lon
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    pts = ring[:-1] or ring
    return sum(p[1] for p in pts) / len(pts), sum(p[0] for p in pts) / len(pts)
