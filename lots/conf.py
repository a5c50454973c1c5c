"""Settings of the lots app, each overridable in the project settings."""

from __future__ import annotations

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
