"""Settings of the pricing app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

# Flags for moderation (DESIGN.md hallmark 5, DOMAIN.md §7).
MICRO_MIN_RATIO = Decimal(str(getattr(settings, "PRICING_MICRO_MIN_RATIO", "2")))
MICRO_MAX_RATIO = Decimal(str(getattr(settings, "PRICING_MICRO_MAX_RATIO", "10")))
HIGH_PRICE_USD_PER_KG = Decimal(str(getattr(settings, "PRICING_HIGH_PRICE_USD_PER_KG", "200")))
HIGH_SCORE = Decimal(str(getattr(settings, "PRICING_HIGH_SCORE", "90")))
COMPETITION_TAG = str(getattr(settings, "PRICING_COMPETITION_TAG", "competition"))
# Lot ids per batch of the set-based sweep (also the step of its progress bar). Each batch is one
# transaction that also runs the evidence_changed receivers of every changed lot, so it bounds how
# long the sweep holds lot rows; 5,000 costs no measurable speed against 25,000 on 100,000 lots.
SWEEP_BATCH = int(getattr(settings, "PRICING_SWEEP_BATCH", 5_000))
CSV_MAX_ROWS = int(getattr(settings, "PRICING_CSV_MAX_ROWS", 5000))
CSV_MAX_BYTES = int(getattr(settings, "PRICING_CSV_MAX_BYTES", 2 * 1024 * 1024))
