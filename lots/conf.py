"""Settings of the lots app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def get(name: str, default: object) -> object:
    return getattr(settings, name, default)


# EU deforestation rules: a single point is enough only for plots up to this many hectares.
POINT_MAX_HA = get("LOTS_POINT_MAX_HA", "4")
MAX_PHOTOS_PER_LOT = int(get("LOTS_MAX_PHOTOS_PER_LOT", 24))  # type: ignore[call-overload]
MAX_DOCUMENTS_PER_EVENT = int(get("LOTS_MAX_DOCUMENTS_PER_EVENT", 10))  # type: ignore[call-overload]
DOCUMENT_MAX_BYTES = int(get("LOTS_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))  # type: ignore[call-overload]
# Longest side in pixels of each photo derivative.
DERIVATIVE_SIZES: dict[str, int] = dict(get("LOTS_DERIVATIVE_SIZES", {"thumb": 320, "medium": 800, "large": 1600}))  # type: ignore[call-overload]
CATALOGUE_PAGE_SIZE = int(get("LOTS_CATALOGUE_PAGE_SIZE", 24))  # type: ignore[call-overload]
CATALOGUE_MAX_PAGE_SIZE = int(get("LOTS_CATALOGUE_MAX_PAGE_SIZE", 100))  # type: ignore[call-overload]
CSV_MAX_ROWS = int(get("LOTS_CSV_MAX_ROWS", 5000))  # type: ignore[call-overload]


# --- plot geolocation (EUDR, DOMAIN.md §11); read on each use so tests and deployments can change them


def coordinate_min_decimals() -> int:
    """EUDR Art. 2(28): latitude and longitude with at least six decimal places."""
    return int(get("LOTS_COORDINATE_MIN_DECIMALS", 6))  # type: ignore[call-overload]


def coffee_belt_max_lat() -> Decimal:
    """Plots must lie between this latitude north and south (the coffee belt, ~30° N to ~30° S)."""
    return Decimal(str(get("LOTS_COFFEE_BELT_MAX_LAT", "30")))


def border_tolerance_m() -> float:
    """How far outside its declared country's boundary a plot may reach, in metres.

    The shipped boundaries are Natural Earth 1:10m, accurate to a few hundred metres to about a
    kilometre or two; 5 km keeps genuine border plots while swapped coordinates land far away.
    """
    return float(get("LOTS_BORDER_TOLERANCE_M", 5000))  # type: ignore[arg-type]


def area_tolerance() -> Decimal:
    """How far (a fraction) a polygon's geodesic area may differ from the declared area (±20 %)."""
    return Decimal(str(get("LOTS_AREA_TOLERANCE", "0.20")))


def variety_fuzzy_min() -> float:
    """The rapidfuzz WRatio score (0–100) from which a spelling is offered as a close match."""
    return float(get("LOTS_VARIETY_FUZZY_MIN", 86))  # type: ignore[arg-type]
