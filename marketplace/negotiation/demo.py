"""Demo trade: a sample waiting for feedback, a live negotiation and a contract, all through the services.

Idempotent: does nothing once the demo roaster has negotiations.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone

from accounts.models import User
from lots.models import Lot, LotStatus
from marketplace.negotiation import services
from marketplace.negotiation.models import Negotiation


def _demo_lots(producer: User) -> list[Lot]:
    """The demo producer's listed lots; two plain ones are made if the lots demo made none."""
    lots = list(Lot.objects.filter(producer=producer, status__in=[LotStatus.LISTED, LotStatus.RESERVED])[:2])
    for n in range(len(lots), 2):
        lot, _ = Lot.objects.get_or_create(
            producer=producer,
            code=f"DEMO-TRADE-{n + 1}",
            defaults={
                "name": ["Gesha Lavado Alto", "Pink Bourbon Natural"][n],
                "process": ["washed", "natural"][n],
                "additives": "none",
                "harvest_year": 2025,
                "weight_kg": Decimal("300"),
                "price": Decimal("28.0000"),
                "currency": "USD",
                "price_unit": "kg",
                "incoterm": "FOB",
                "incoterm_place": "Buenaventura",
                "price_usd_per_kg": Decimal("28.0000"),
                "status": LotStatus.LISTED,
                "listed_at": timezone.now(),
            },
        )
        lots.append(lot)
    return lots


def seed(stdout: IO[str]) -> None:
    producer = User.objects.filter(email="producer@demo.coffee").first()
    roaster = User.objects.filter(email="roaster@demo.coffee").first()
    if producer is None or roaster is None or Negotiation.objects.filter(buyer=roaster).exists():
        return
    services.sample_terms_set(producer=producer, fee=Decimal("15.00"), currency="USD")
    first, second = _demo_lots(producer)
    week = timezone.now() + datetime.timedelta(days=7)

    sample = services.sample_request(lot=first, by=roaster, kind="offer", grams=250, message="For our spring menu.")
    services.sample_accept(sample=sample, by=producer)
    services.sample_ship(sample=sample, by=producer, courier="DHL Express", tracking="JD014600003828")
    services.sample_confirm_arrival(sample=sample, by=roaster)

    live = services.negotiation_open(
        lot=first,
        by=roaster,
        quantity_kg=Decimal("60"),
        price=Decimal("11.50"),
        currency="USD",
        price_unit="lb",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        shipment_window="March–April 2027",
        condition="Subject to pre-shipment sample approval",
        expires_at=week,
    )
    services.negotiation_counter(
        negotiation=live,
        by=producer,
        quantity_kg=Decimal("60"),
        price=Decimal("26.50"),
        currency="USD",
        price_unit="kg",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        shipment_window="March–April 2027",
        condition="Subject to pre-shipment sample approval",
        expires_at=week,
    )

    deal = services.negotiation_open(
        lot=second,
        by=roaster,
        quantity_kg=Decimal("30"),
        price=Decimal("27.00"),
        currency="USD",
        price_unit="kg",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        shipment_window="February 2027",
        expires_at=week,
    )
    order = services.negotiation_accept(negotiation=deal, by=producer)
    stdout.write(f"Trade demo: sample #{sample.pk}, negotiation #{live.pk}, contract {order.number}")
