"""Settings of the auctions app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def get(name: str, default: object) -> object:
    return getattr(settings, name, default)


# A lot is tagged ``competition`` (the competition buyers' alert) when it is a nano-lot whose
# official (independent) score reaches the threshold OF ITS PROTOCOL: scores on different forms are
# different scales (DOMAIN.md §1), so each protocol has its own threshold.
# SCA 2004 form: 88 points (DESIGN.md, background work).
COMPETITION_MIN_SCORE = Decimal(str(get("COMPETITION_MIN_SCORE", "88")))
# CVA affective score: OUR CHOICE, not a published equivalence (no CVA ↔ SCA 2004 mapping exists):
# 90.00, stricter than the 2004 figure so a CVA score is never read as if it were a 2004 score
# (a CVA 88.25 nano-lot is not tagged). Set COMPETITION_MIN_SCORE_CVA to change it, or to "" to
# never tag on a CVA score.
_cva = get("COMPETITION_MIN_SCORE_CVA", "90")
COMPETITION_MIN_SCORE_CVA = None if _cva in (None, "") else Decimal(str(_cva))
COMPETITION_TAG = str(get("COMPETITION_TAG", "competition"))
# Soft close: a bid in the last N minutes extends the end to N minutes after the bid.
DEFAULT_EXTENSION_MINUTES = int(get("AUCTIONS_DEFAULT_EXTENSION_MINUTES", 3))  # type: ignore[call-overload]
# How often the auction page polls for the live state, in seconds.
POLL_SECONDS = int(get("AUCTIONS_POLL_SECONDS", 2))  # type: ignore[call-overload]
# The closing sweep runs this often (seconds); soft close moves ends, so there is no per-auction task.
CLOSE_SWEEP_SECONDS = float(get("AUCTIONS_CLOSE_SWEEP_SECONDS", 15))  # type: ignore[arg-type]
COMPETITION_SWEEP_SECONDS = float(get("AUCTIONS_COMPETITION_SWEEP_SECONDS", 900))  # type: ignore[arg-type]
