"""Settings of the moderation app, each overridable in the project settings (``MODERATION_*``).

The thresholds are our heuristics from DOMAIN.md §10, not industry standards: keep them here so
a moderator team can tune them without touching the checks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings


def get(name: str, default: Any) -> Any:
    return getattr(settings, f"MODERATION_{name}", default)


# volume: green tonnes per hectare of the lot's plots (DOMAIN.md §10).
YIELD_PASS_T_PER_HA = Decimal(str(get("YIELD_PASS_T_PER_HA", "1.5")))
YIELD_WARN_T_PER_HA = Decimal(str(get("YIELD_WARN_T_PER_HA", "2.5")))

# separation: input:output weight factors (DOMAIN.md §10 "usual range").
CONVERSION_FACTORS: dict[str, tuple[Decimal, Decimal]] = {
    key: (Decimal(str(lo)), Decimal(str(hi)))
    for key, (lo, hi) in get(
        "CONVERSION_FACTORS",
        {
            "cherry_to_parchment": ("4.5", "5.5"),
            "parchment_to_green": ("1.2", "1.3"),
            "cherry_to_dried_cherry": ("2.5", "3.5"),
            "dried_cherry_to_green": ("1.8", "2.2"),
            "cherry_to_green": ("4.5", "7"),
        },
    ).items()
}
# A factor outside its range by at most this fraction warns; further out it fails.
CONVERSION_TOLERANCE = Decimal(str(get("CONVERSION_TOLERANCE", "0.15")))
# Scales round; a gain of at most this fraction between two weighings is not a gain.
WEIGHT_GAIN_TOLERANCE = Decimal(str(get("WEIGHT_GAIN_TOLERANCE", "0.005")))

# score: the official (independent) score.
SCORE_PASS = Decimal(str(get("SCORE_PASS", "86")))
SCORE_FAIL_BELOW = Decimal(str(get("SCORE_FAIL_BELOW", "80")))

# premium: the ratio of the FOB price to the specialty baseline.
PREMIUM_MIN = Decimal(str(get("PREMIUM_MIN", "2")))
PREMIUM_MAX = Decimal(str(get("PREMIUM_MAX", "10")))
# Pricing flags (marketplace.pricing PremiumFlag) that turn a premium warning into a failure.
PREMIUM_FAILING_FLAGS: frozenset[str] = frozenset(get("PREMIUM_FAILING_FLAGS", ("under_2x", "over_10x", "high_price")))

# disclosure: words in the lot's story or custody notes that suggest an undisclosed infusion.
INFUSION_WORDS: tuple[str, ...] = tuple(
    get(
        "INFUSION_WORDS",
        ("infus", "co-ferment", "coferment", "co ferment", "cofermenta", "fruit added", "added fruit", "flavoured"),
    )
)

# Hallmark results older than this are recomputed when the claim page opens, even without a signal
# (plot geometry edits, for instance, are not evidence_changed kinds).
HALLMARKS_MAX_AGE_SECONDS = int(get("HALLMARKS_MAX_AGE_SECONDS", 6 * 3600))

STATEMENT_MIN_LENGTH = int(get("STATEMENT_MIN_LENGTH", 20))
REASON_MIN_LENGTH = int(get("REASON_MIN_LENGTH", 5))
QUEUE_PAGE_SIZE = int(get("QUEUE_PAGE_SIZE", 50))

# Evidence page: a photo's GPS within this many metres of a plot counts as taken there, and its
# capture date within this many days of the harvest window counts as in season.
PHOTO_MAX_DISTANCE_M = float(get("PHOTO_MAX_DISTANCE_M", 500))
PHOTO_HARVEST_MARGIN_DAYS = int(get("PHOTO_HARVEST_MARGIN_DAYS", 30))
