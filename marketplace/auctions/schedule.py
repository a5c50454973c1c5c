"""Periodic work of the auctions app (collected by marketplace.celery; imports no models)."""

from __future__ import annotations

from marketplace.auctions import conf

BEAT_SCHEDULE = {
    # Soft close moves ends, so closing is a sweep rather than one scheduled task per auction.
    "auctions-close-sweep": {
        "task": "marketplace.auctions.tasks.auctions_close_sweep",
        "schedule": conf.CLOSE_SWEEP_SECONDS,
        "options": {"expires": conf.CLOSE_SWEEP_SECONDS},
    },
    "auctions-competition-sweep": {
        "task": "marketplace.auctions.tasks.competition_sweep",
        "schedule": conf.COMPETITION_SWEEP_SECONDS,
        "options": {"expires": conf.COMPETITION_SWEEP_SECONDS},
    },
}
