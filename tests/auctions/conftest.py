"""Fixtures for auction tests: a controllable clock and auctions built through the service."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from marketplace.auctions import clock, services
from marketplace.auctions.models import Auction
from tests.factories import LotFactory

T0 = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)


class Clock:
    """Sets the auction clock to an absolute time (server time only: the services ask clock.now())."""

    def set(self, when: datetime.datetime) -> datetime.datetime:
        clock.freeze(when)
        return when

    def now(self) -> datetime.datetime:
        return clock.now()


@pytest.fixture
def at() -> Iterator[Clock]:
    """``at.set(T0 + timedelta(...))`` moves the auction clock; reset afterwards."""
    controlled = Clock()
    yield controlled
    clock.reset()


@pytest.fixture
def make_auction(producer: Any) -> Callable[..., Auction]:
    def make(
        *,
        by: Any = None,
        lots: list[Any] | None = None,
        opening: str = "100",
        reserve: str | None = None,
        starts_at: datetime.datetime | None = None,
        ends_at: datetime.datetime | None = None,
        increment: str = "1",
        increment_table: list[list[str]] | None = None,
        closing_mode: str = "per_lot",
        extension_minutes: int = 3,
        no_end: bool = False,
    ) -> Auction:
        """``no_end=True``: an event clock with no latest end at all."""
        owner = by or producer
        if lots is None:
            lots = [LotFactory(producer=owner if owner.role == "producer" else producer, weight_kg=Decimal("30"))]
        now = clock.now()
        return services.auction_create(
            by=owner,
            title="Nano-lot auction",
            lots=[
                services.LotOffer(lot=lot, opening_price_per_kg=opening, reserve_price_per_kg=reserve) for lot in lots
            ],
            starts_at=starts_at or now - datetime.timedelta(minutes=1),
            ends_at=None if no_end else ends_at or now + datetime.timedelta(hours=1),
            increment_per_kg=increment,
            increment_table=increment_table,
            closing_mode=closing_mode,
            extension_minutes=extension_minutes,
        )

    return make


def item_of(auction: Auction, n: int = 0) -> Any:
    return auction.items.order_by("position")[n]
