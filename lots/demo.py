"""Demo farms, plots and listed lots (with generated photos and custody events) for the demo producers."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import IO, Any

from PIL import Image, ImageDraw

from accounts.models import User
from lots import services
from lots.models import Farm, Lot, LotStatus, PhotoKind

# Six decimal places as EUDR asks (Art. 2(28)), as Decimals so the trailing zeros are kept; about 11.07 ha.
_CORNERS = [
    ("-75.913100", "1.853100"),
    ("-75.910100", "1.853100"),
    ("-75.910100", "1.856100"),
    ("-75.913100", "1.856100"),
]
SQUARE = [[Decimal(lon), Decimal(lat)] for lon, lat in [*_CORNERS, _CORNERS[0]]]

DEMO: dict[str, dict[str, Any]] = {
    "producer@demo.coffee": {
        "farm": {"name": "La Esperanza", "country": "CO", "region": "Huila", "altitude_masl": 1850},
        "plots": [
            {
                "name": "El Mirador",
                "area_ha": "2.5",
                "altitude_masl": 1900,
                "varieties": ["Gesha"],
                "geometry": {"type": "Point", "coordinates": [-75.912345, 1.852345]},
            },
            {
                "name": "La Cañada",
                "area_ha": "11.0",
                "altitude_masl": 1780,
                "varieties": ["Pink Bourbon", "Caturra"],
                "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
            },
        ],
        "lots": [
            {
                "name": "Mirador Gesha washed",
                "code": "ESP-24-01",
                "variety": "Geisha",
                "process": "washed",
                "weight_kg": "320",
                "price": "38.50",
                "plot": 0,
                "story": "Hand-picked in three passes on the upper terraces.",
                "colour": (184, 64, 48),
            },
            {
                "name": "Cañada Pink Bourbon anaerobic",
                "code": "ESP-24-02",
                "variety": "Bourbon Rosado",
                "process": "natural",
                "process_modifiers": ["anaerobic"],
                "weight_kg": "45",
                "price": "21.00",
                "price_unit": "lb",
                "plot": 1,
                "colour": (214, 112, 150),
            },
            {
                "name": "Cañada Caturra honey",
                "code": "ESP-24-03",
                "variety": "Caturra",
                "process": "honey",
                "honey_colour": "red",
                "weight_kg": "1380",
                "price": "9.80",
                "plot": 1,
                "colour": (150, 90, 40),
            },
        ],
    },
    "producer2@demo.coffee": {
        "farm": {"name": "Hacienda Ramírez", "country": "PA", "region": "Chiriquí", "altitude_masl": 1650},
        "plots": [
            {
                "name": "Jaramillo",
                "area_ha": "3.2",
                "altitude_masl": 1700,
                "varieties": ["Gesha"],
                "geometry": {"type": "Point", "coordinates": [-82.531234, 8.789012]},
            },
        ],
        "lots": [
            {
                "name": "Jaramillo Geisha natural",
                "code": "HR-25-07",
                "variety": "Gesha",
                "process": "natural",
                "weight_kg": "180",
                "price": "95.00",
                "plot": 0,
                "colour": (120, 40, 30),
            },
            {
                "name": "Jaramillo Geisha washed (EUR)",
                "code": "HR-25-08",
                "variety": "geisha",
                "process": "washed",
                "weight_kg": "90",
                "price": "70.00",
                "currency": "EUR",
                "plot": 0,
                "colour": (90, 120, 60),
            },
        ],
    },
}


def demo_photo(colour: tuple[int, int, int], label: str) -> bytes:
    image = Image.new("RGB", (960, 640), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, 640, 16):
        shade = tuple(max(0, min(255, c + (i % 64) - 32)) for c in colour)
        draw.rectangle([0, i, 960, i + 8], fill=shade)
    draw.rectangle([40, 520, 920, 600], fill=(255, 255, 255))
    draw.text((60, 545), label, fill=(30, 20, 10))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _custody_steps(lot: Lot, weight_kg: Decimal) -> list[tuple[str, str, str, Decimal, Decimal, int, str]]:
    """The stages of the lot's declared process (DOMAIN.md §10), with plausible weights.

    5.8 kg of cherry per kg of green; washed and honey dry to 1.25 kg of parchment per kg of green
    (cherry → parchment 4.6:1), naturals to 2 kg of dried cherry (cherry → dried cherry 2.9:1).
    A natural is never depulped, and ferments in a tank only when a fermenting process is declared.
    """
    q = Decimal("1")
    cherry = (weight_kg * Decimal("5.8")).quantize(q)
    if lot.process == "natural":
        dried = (weight_kg * 2).quantize(q)
        steps = [("harvest", "cherry", "cherry", cherry, cherry, 0, "Upper terraces, ripe cherries only")]
        if set(lot.process_modifiers or []) & {"anaerobic", "extended_fermentation", "carbonic_maceration"}:
            steps.append(("fermentation", "cherry", "cherry", cherry, cherry - 2, 1, "Sealed tanks, whole cherries"))
            cherry -= 2
        steps += [
            ("drying", "cherry", "dried_cherry", cherry, dried, 3, "Raised beds, in the cherry, 24 days"),
            ("milling", "dried_cherry", "green", dried, weight_kg, 30, "Dry mill, hulling"),
        ]
    else:
        parchment = (weight_kg * Decimal("1.25")).quantize(q)
        wet = parchment * 2
        steps = [
            ("harvest", "cherry", "cherry", cherry, cherry, 0, "Upper terraces, ripe cherries only"),
            ("depulping", "cherry", "parchment", cherry, wet, 1, "Farm wet mill"),
        ]
        if lot.process == "washed":
            steps.append(("fermentation", "parchment", "parchment", wet, wet - 4, 1, "Dry fermentation, 36 h"))
            wet -= 4
        steps += [
            ("drying", "parchment", "parchment", wet, parchment, 3, "Raised beds, 18 days"),
            ("milling", "parchment", "green", parchment, weight_kg, 30, "Dry mill, Pitalito"),
        ]
    steps.append(("packaging", "green", "green", weight_kg, weight_kg, 32, "Vacuum packs in boxes"))
    return steps


def _custody(lot: Lot, producer: User, weight_kg: Decimal, start: datetime.date) -> None:
    for stage, s_in, s_out, w_in, w_out, days, place in _custody_steps(lot, weight_kg):
        services.custody_event_add(
            lot=lot,
            by=producer,
            stage=stage,
            occurred_on=start + datetime.timedelta(days=days),
            state_in=s_in,
            state_out=s_out,
            weight_in_kg=w_in,
            weight_out_kg=w_out,
            separated=True,
            place=place,
        )


def seed(stdout: IO[str]) -> None:
    for email, spec in DEMO.items():
        producer = User.objects.filter(email=email).first()
        if producer is None or Farm.objects.filter(producer=producer, name=spec["farm"]["name"]).exists():
            continue
        farm = services.farm_create(producer=producer, data=spec["farm"])
        plots = [services.plot_create(farm=farm, by=producer, data=p) for p in spec["plots"]]
        for item in spec["lots"]:
            data = {
                "name": item["name"],
                "code": item["code"],
                "variety": item["variety"],
                "process": item["process"],
                "honey_colour": item.get("honey_colour", ""),
                "process_modifiers": item.get("process_modifiers", []),
                "additives": "none",
                "harvest_year": 2025,
                "harvest_start": datetime.date(2025, 10, 1),
                "harvest_end": datetime.date(2025, 12, 10),
                "weight_kg": item["weight_kg"],
                "price": item["price"],
                "currency": item.get("currency", "USD"),
                "price_unit": item.get("price_unit", "kg"),
                "incoterm": "FOB",
                "incoterm_place": "Buenaventura" if farm.country == "CO" else "Balboa",
                "story": item.get("story", ""),
                "drying_method": "raised_beds",
                "drying_days": 18,
                "packaging": "vacuum",
                "package_size_kg": "15",
                "package_count": max(1, int(Decimal(item["weight_kg"]) // 15)),
                "moisture_pct": "10.8",
                "water_activity": "0.560",
                "farm": farm,
                "plots": [plots[item["plot"]]],
            }
            lot = services.lot_create(producer=producer, data=data)
            services.photos_add(
                lot=lot,
                by=producer,
                uploads=[
                    services.PhotoUpload(data=demo_photo(item["colour"], f"{lot.code} plot"), kind=PhotoKind.PLOT),
                    services.PhotoUpload(
                        data=demo_photo(tuple(min(255, c + 50) for c in item["colour"]), f"{lot.code} drying"),  # type: ignore[arg-type]
                        kind=PhotoKind.DRYING,
                    ),
                ],
            )
            _custody(lot, producer, Decimal(item["weight_kg"]), datetime.date(2025, 10, 5))
            services.lot_transition(lot=lot, to=LotStatus.LISTED, by=producer, reason="demo")
        stdout.write(f"  lots: {farm.name} with {len(spec['lots'])} listed lots\n")
