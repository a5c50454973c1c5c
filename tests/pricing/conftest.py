"""Pricing fixtures: lots with chosen prices, and helpers for rates and baselines."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from core.models import ExchangeRate
from lots.models import LotTag
from marketplace.pricing.models import SpecialtyBaseline
from tests.factories import FarmFactory, LotFactory


def seed_reference_data() -> None:
    """The data migration's rows, again: transactional tests elsewhere flush them away."""
    from importlib import import_module

    from django.apps import apps

    import_module("marketplace.pricing.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture(autouse=True)
def reference_data(db: Any) -> None:
    seed_reference_data()


@pytest.fixture
def make_lot(producer: Any) -> Any:
    """``make_lot(price=…, currency=…, price_unit=…, incoterm=…, country=…, **fields)``."""

    def make(*, country: str = "CO", tags: tuple[str, ...] = (), **fields: Any) -> Any:
        farm = FarmFactory(producer=producer, country=country)
        lot = LotFactory(producer=producer, farm=farm, **fields)
        for tag in tags:
            LotTag.objects.create(lot=lot, tag=tag)
        return lot

    return make


@pytest.fixture
def eur_rate(db: Any) -> ExchangeRate:
    ExchangeRate.objects.create(
        currency="EUR", usd_per_unit=Decimal("1.0500000000"), valid_on=datetime.date(2026, 11, 1)
    )
    return ExchangeRate.objects.create(
        currency="EUR", usd_per_unit=Decimal("1.1000000000"), valid_on=datetime.date(2026, 11, 20), source="test"
    )


def baseline(**fields: Any) -> SpecialtyBaseline:
    values: dict[str, Any] = {
        "edition": "test",
        "harvest_year": 2025,
        "origin": "",
        "score_band": "all",
        "size_band": "all",
        "median": Decimal("4.00"),
        "source": "test",
    }
    values.update(fields)
    return SpecialtyBaseline.objects.create(**values)


def verified_result(lot: Any, *, status: str = "verified", **fields: Any) -> Any:
    """A competition result of ``lot`` (verified unless told), written directly: the services have their own tests."""
    from marketplace.competitions.models import CompetitionResult

    values: dict[str, Any] = {
        "competition": "coe",
        "name": "Cup of Excellence Colombia",
        "year": 2025,
        "rank": 3,
        "jury_score": Decimal("90.12"),
        "jury_protocol": "coe",
        "url": "https://allianceforcoffeeexcellence.org/competition/colombia-2025/",
        "status": status,
    }
    values.update(fields)
    return CompetitionResult.objects.create(lot=lot, **values)
