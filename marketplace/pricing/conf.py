"""Settings of the pricing app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def _optional_decimal(name: str, default: str | None) -> Decimal | None:
    value = getattr(settings, name, default)
    return None if value in (None, "") else Decimal(str(value))


# Flags for moderation (DESIGN.md hallmark 5, DOMAIN.md §7).
MICRO_MIN_RATIO = Decimal(str(getattr(settings, "PRICING_MICRO_MIN_RATIO", "2")))
MICRO_MAX_RATIO = Decimal(str(getattr(settings, "PRICING_MICRO_MAX_RATIO", "10")))
HIGH_PRICE_USD_PER_KG = Decimal(str(getattr(settings, "PRICING_HIGH_PRICE_USD_PER_KG", "200")))
# The "90+ score from independent graders" that excuses a ≥ 200 USD/kg price (DOMAIN.md §7) is a
# score on the SCA 2004 scale.
HIGH_SCORE = Decimal(str(getattr(settings, "PRICING_HIGH_SCORE", "90")))
# The same exemption for a CVA score. OUR CHOICE, not a published figure: no mapping between CVA
# and SCA 2004 scores exists (DOMAIN.md §6.1), so by default (None) a CVA score never excuses the
# high-price flag; a moderator team that settles on an equivalent sets PRICING_HIGH_SCORE_CVA.
HIGH_SCORE_CVA = _optional_decimal("PRICING_HIGH_SCORE_CVA", None)
# A baseline more than this many harvest years older than the lot's harvest makes the premium
# hallmark a warning (DOMAIN.md §6.1); a nearer earlier year is used and named.
STALE_BASELINE_MAX_YEARS = int(getattr(settings, "PRICING_STALE_BASELINE_MAX_YEARS", 2))
# Lot ids per batch of the set-based sweep (also the step of its progress bar). Each batch is one
# transaction that also runs the evidence_changed receivers of every changed lot, so it bounds how
# long the sweep holds lot rows; 5,000 costs no measurable speed against 25,000 on 100,000 lots.
SWEEP_BATCH = int(getattr(settings, "PRICING_SWEEP_BATCH", 5_000))
CSV_MAX_ROWS = int(getattr(settings, "PRICING_CSV_MAX_ROWS", 5000))
CSV_MAX_BYTES = int(getattr(settings, "PRICING_CSV_MAX_BYTES", 2 * 1024 * 1024))
