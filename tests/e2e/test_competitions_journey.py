"""Browser journey (DOMAIN.md §7): a producer records a Cup of Excellence result, a moderator verifies
it, and the lot's high price becomes expected evidence instead of a red flag (worker on Redis)."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

import pytest

from marketplace.pricing.models import LotPremium
from marketplace.pricing.services import lot_premium_recompute
from tests.e2e.conftest import open_menu
from tests.factories import FarmFactory, LotFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from tests.pricing.conftest import seed_reference_data

    seed_reference_data()


@pytest.mark.redis
def test_a_verified_coe_result_turns_the_price_flags_into_a_competition_lot_note(
    celery_worker_on_redis, live_server, page, producer, moderator, browser_login
):
    farm = FarmFactory(producer=producer, country="ET")
    lot = LotFactory(
        producer=producer,
        farm=farm,
        price=Decimal("400.5000"),
        price_unit="lb",
        weight_kg=Decimal("300"),
        harvest_year=2021,
        harvest_start=datetime.date(2021, 11, 1),
        harvest_end=datetime.date(2022, 1, 31),
    )
    assert set(lot_premium_recompute(lot_id=lot.pk).flags) == {"over_10x", "high_price"}

    browser_login(page, producer)
    page.goto(f"{live_server.url}/lots/{lot.pk}/")
    assert "Over 10×" in page.locator("#price-premium .premium-flags").inner_text()
    page.click("#add-competition-result")
    page.select_option("select[name=competition]", "coe")
    page.fill("input[name=name]", "Cup of Excellence Ethiopia")
    page.fill("input[name=year]", "2022")
    page.fill("input[name=rank]", "1")
    page.fill("input[name=jury_score]", "90.25")
    page.select_option("select[name=jury_protocol]", "coe")
    page.fill("input[name=url]", "https://allianceforcoffeeexcellence.org/ethiopia-2022/")
    page.click("#save-result")
    assert "Waiting for a moderator" in page.locator("#results").inner_text()

    page.context.clear_cookies()
    browser_login(page, moderator)
    open_menu(page)
    page.click("nav a:has-text('Competition results')")
    page.wait_for_url(f"{live_server.url}/competitions/queue/")
    row = page.locator("#pending-results tbody tr").first
    assert "Cup of Excellence Ethiopia 2022" in row.inner_text()
    row.locator("select[name=to]").select_option("verified")
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/competitions/queue/")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and LotPremium.objects.get(lot=lot).flags:
        time.sleep(0.2)
    assert LotPremium.objects.get(lot=lot).flags == []
    page.goto(f"{live_server.url}/lots/{lot.pk}/")
    notes = page.locator("#premium-notes").inner_text()
    assert "competition lot" in notes and "Cup of Excellence Ethiopia 2022" in notes
    assert page.locator("#price-premium .premium-flags").count() == 0
    assert "Verified" in page.locator("#competition-results").inner_text()
