"""Browser journeys: the lot page shows the premium and its chart; a moderator sweeps and watches it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lots.models import Lot
from marketplace.pricing.models import LotPremium, SpecialtyBaseline
from marketplace.pricing.services import lot_premium_recompute
from tests.e2e.conftest import open_menu
from tests.factories import FarmFactory, LotFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from tests.pricing.conftest import seed_reference_data

    seed_reference_data()


def _lot(producer, price: str = "12.0000", **fields):
    farm = FarmFactory(producer=producer, country="CO")
    lot = LotFactory(producer=producer, farm=farm, price=Decimal(price), price_unit="lb", **fields)
    Lot.objects.filter(pk=lot.pk).update(official_score=Decimal("87.00"))
    return lot


def test_visitor_sees_the_premium_badge_and_chart_on_the_lot_page(live_server, page, producer):
    lot = _lot(producer)
    premium = lot_premium_recompute(lot_id=lot.pk)
    assert premium.premium_ratio is not None
    page.goto(f"{live_server.url}/lots/{lot.pk}/")
    badge = page.locator("#premium-badge")
    badge.wait_for()
    assert "× the specialty baseline" in badge.inner_text()
    chart = page.locator("#price-premium svg")
    assert chart.is_visible()
    assert page.locator("#price-premium svg circle.lot-price").count() == 1
    assert page.locator("#price-premium svg line.c-price").count() == 1
    assert "2026-01-31" in page.locator("#price-premium figcaption").inner_text()
    # The chart fits a phone screen.
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390


@pytest.mark.redis
def test_moderator_starts_a_sweep_and_watches_it_finish(
    celery_worker_on_redis, live_server, page, moderator, producer, browser_login
):
    # Listed by a bulk UPDATE, which (unlike a listing through the lots services) enqueues nothing:
    # only the sweep computes these premiums.
    lots = [_lot(producer, price=p, status="draft") for p in ("8.0000", "13.6000", "40.0000")]
    Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(status="listed")
    assert not LotPremium.objects.exists()
    browser_login(page, moderator)
    open_menu(page)
    page.click("nav a:has-text('Baselines')")
    page.wait_for_url(f"{live_server.url}/pricing/baselines/")
    assert SpecialtyBaseline.objects.exists()
    page.click("#start-sweep")
    page.wait_for_selector("#sweep-progress .job[data-status=succeeded]", timeout=30_000)
    assert "3/3" in page.locator("#sweep-progress .job-status").inner_text()
    ratios = dict(Lot.objects.filter(pk__in=[lot.pk for lot in lots]).values_list("pk", "premium_ratio"))
    assert all(r is not None for r in ratios.values())
    page.goto(f"{live_server.url}/lots/{lots[2].pk}/")
    # 40 USD/lb is over 10× the baseline and the lot has no competition context: moderators see why.
    assert "Over 10×" in page.locator("#price-premium .premium-flags").inner_text()
    assert "× the specialty baseline" in page.locator("#premium-badge").inner_text()
