"""Settings of the auctions app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def get(name: str, default: object) -> object:
    return getattr(settings, name, default)


# A lot is tagged ``competition`` when it is a nano-lot whose official (independent) score is at
# least this many points.
COMPETITION_MIN_SCORE = Decimal(str(get("COMPETITION_MIN_SCORE", "88")))
COMPETITION_TAG = str(get("COMPETITION_TAG", "competition"))
# Soft close: a bid in the last N minutes extends the end to N minutes after the bid.
DEFAULT_EXTENSION_MINUTES = int(get("AUCTIONS_DEFAULT_EXTENSION_MINUTES", 3))  # type: ignore[call-overload]
# How often the auction page polls for the live state, in seconds.
POLL_SECONDS = int(get("AUCTIONS_POLL_SECONDS", 2))  # type: ignore[call-overload]
# The closing sweep runs this often (seconds); soft close moves ends, so there is no per-auction task.
CLOSE_SWEEP_SECONDS = float(get("AUCTIONS_CLOSE_SWEEP_SECONDS", 15))  # type: ignore[arg-type]
COMPETITION_SWEEP_SECONDS = float(get("AUCTIONS_COMPETITION_SWEEP_SECONDS", 900))  # type: ignore[arg-type]
