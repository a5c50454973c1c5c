"""Helpers for the lots tests: image bytes, a producer's farm, plot and draft lot."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from lots import services
from tests.factories import FarmFactory, PlotFactory


def jpeg_bytes(size: tuple[int, int] = (40, 20), exif: Any = None, colour: str = "red") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif is not None:
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "PNG")
    return out.getvalue()


def gps_exif(lat: float = 1.852345, lon: float = -75.912345, orientation: int | None = None) -> Image.Exif:
    from PIL import ExifTags

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round((value - degrees - minutes / 60) * 3600, 4)
        return (float(degrees), float(minutes), seconds)

    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2025:10:14 07:30:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = {
        ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
        ExifTags.GPS.GPSLatitude: dms(lat),
        ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
        ExifTags.GPS.GPSLongitude: dms(lon),
    }
    exif[ExifTags.IFD.GPSInfo] = gps
    return exif


def lot_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Mirador Gesha",
        "code": "M-01",
        "variety": "Geisha",
        "process": "washed",
        "additives": "none",
        "harvest_year": 2025,
        "harvest_start": datetime.date(2025, 10, 1),
        "harvest_end": datetime.date(2025, 11, 30),
        "weight_kg": Decimal("320"),
        "price": Decimal("30"),
        "currency": "USD",
        "price_unit": "kg",
        "incoterm": "FOB",
        "incoterm_place": "Buenaventura",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def back_to_english() -> Any:
    """Requests in Spanish or Portuguese activate that language in the test thread: undo it."""
    yield
    from django.utils import translation

    translation.activate("en")


@pytest.fixture
def farm(producer: Any) -> Any:
    return FarmFactory(producer=producer, name="La Esperanza", country="CO", region="Huila")


@pytest.fixture
def plot(farm: Any) -> Any:
    return PlotFactory(farm=farm, name="El Mirador", area_ha=Decimal("2.5"))


@pytest.fixture
def draft(producer: Any, farm: Any, plot: Any) -> Any:
    return services.lot_create(producer=producer, data=lot_data(farm=farm, plots=[plot]))


@pytest.fixture
def no_broker(monkeypatch: Any) -> list[int]:
    """Record enqueued derivative jobs instead of sending them to a broker."""
    sent: list[int] = []
    from lots import tasks

    monkeypatch.setattr(tasks.photo_make_derivatives, "delay_on_commit", lambda pk: sent.append(pk))
    return sent


def give_scores(lot: Any, harvest_year: int | None = None, **scores: str) -> Any:
    """Store official scores the way ``cupping.services.lot_score_recompute`` leaves them: one
    LotScore row per protocol (``sca2004="87.25"``, ``cva="84.50"``, ``coe=...``) and the primary
    one (SCA 2004, else CVA, else CoE) cached on the lot. ``harvest_year`` other than the lot's
    makes the rows a stale, earlier harvest's (nothing is cached then)."""
    from cupping.models import LotScore
    from cupping.scoring import PRIMARY_ORDER

    year = harvest_year or lot.harvest_year
    for protocol, value in scores.items():
        LotScore.objects.create(
            lot=lot,
            protocol=protocol,
            harvest_year=year,
            mean=Decimal(value),
            graders=2,
            spread=Decimal("0.50"),
            is_catalogue_score=protocol == next(p for p in PRIMARY_ORDER if p in scores),
        )
    if year == lot.harvest_year:
        primary = next(p for p in PRIMARY_ORDER if p in scores)
        lot.official_score, lot.official_score_protocol = Decimal(scores[primary]), primary
        lot.save(update_fields=["official_score", "official_score_protocol"])
    return lot
