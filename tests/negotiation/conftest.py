"""Shared fixtures for the trade tests: a listed lot and a way to open negotiations on it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.models import Negotiation
from tests.factories import LotFactory


@pytest.fixture
def lot(producer: Any) -> Lot:
    """300 kg, listed, 30 USD/kg FOB."""
    return LotFactory(producer=producer)


def terms(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "quantity_kg": Decimal("100"),
        "price": Decimal("28.00"),
        "currency": "USD",
        "price_unit": "kg",
        "incoterm": "FOB",
        "incoterm_place": "Buenaventura",
        "shipment_window": "March 2027",
        "condition": "",
        "expires_at": timezone.now() + datetime.timedelta(days=3),
    }
    base.update(overrides)
    return base


@pytest.fixture
def open_negotiation(lot: Lot, roaster: Any) -> Negotiation:
    return services.negotiation_open(lot=lot, by=roaster, **terms())
