"""Demo data: a few exchange rates (clearly labelled demo values) and every demo lot's premium."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import IO

from core.models import ExchangeRate

DEMO_SOURCE = "DEMO VALUE for the demo site, not a market rate"
DEMO_RATES_ON = datetime.date(2026, 11, 1)
DEMO_RATES = {
    "EUR": Decimal("1.0800000000"),
    "GBP": Decimal("1.2700000000"),
    "COP": Decimal("0.0002500000"),
    "BRL": Decimal("0.1800000000"),
    "ETB": Decimal("0.0070000000"),
}


def seed(stdout: IO[str]) -> None:
    from marketplace.pricing.sweep import premiums_sweep

    for currency, rate in DEMO_RATES.items():
        ExchangeRate.objects.get_or_create(
            currency=currency, valid_on=DEMO_RATES_ON, defaults={"usd_per_unit": rate, "source": DEMO_SOURCE}
        )
    # Synchronous: the demo has no worker running yet. Running it again stores the same figures.
    result = premiums_sweep()
    stdout.write(f"pricing: demo exchange rates dated {DEMO_RATES_ON}; premiums computed for {result['lots']} lots\n")
