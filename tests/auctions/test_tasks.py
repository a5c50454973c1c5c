"""The closing sweep as Celery runs it: on the beat schedule, and on a real worker on Redis."""

from __future__ import annotations

import datetime

import pytest

from core.models import AuditEvent
from marketplace.auctions import clock, services
from marketplace.auctions.tasks import auctions_close_sweep
from marketplace.celery import collect_beat_schedule
from tests.auctions.conftest import item_of
from tests.auctions.test_competition import drained


def test_the_sweeps_are_on_the_beat_schedule():
    schedule = collect_beat_schedule()
    close = schedule["auctions-close-sweep"]
    assert close["task"] == "marketplace.auctions.tasks.auctions_close_sweep"
    assert 5 <= float(close["schedule"]) <= 30
    assert schedule["auctions-competition-sweep"]["task"] == "marketplace.auctions.tasks.competition_sweep"


@pytest.mark.redis
def test_close_sweep_on_a_real_worker_closes_an_ended_auction_once(celery_worker_on_redis, make_auction, roaster):
    auction = make_auction()
    item = item_of(auction)
    services.bid_place(item=item.pk, bidder=roaster, amount_per_kg="100")
    # The worker thread shares this process, so it reads the same (moved) auction clock.
    clock.set_offset(datetime.timedelta(hours=2))
    try:
        auctions_close_sweep.delay()
        auctions_close_sweep.delay()
        drained(celery_worker_on_redis)  # both sweeps have run
    finally:
        clock.reset()
    item.refresh_from_db()
    assert item.status == "sold"
    assert AuditEvent.objects.filter(action="auction.lot_closed").count() == 1
