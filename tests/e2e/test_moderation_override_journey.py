"""Browser journey in Chromium: a moderator tries to approve a claim whose score fails, is asked for
a reason for that hallmark, gives it, and a visitor reads "approved despite" on the lot page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cupping.models import CuppingSheet
from lots.models import Lot
from marketplace.moderation import services
from tests.moderation.builders import genuine_lot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REASON = "The jury cupped this harvest at 88 points; this sheet was a faulty sample roast."


def test_an_approval_over_a_failing_score_asks_for_its_reason_and_buyers_read_it(
    live_server, browser, producer, moderator, q_grader, browser_login
):
    lot = genuine_lot(producer, q_grader, name="Gesha Ladera Baja")
    CuppingSheet.objects.filter(lot=lot).update(final_score=Decimal("78.50"), total=Decimal("78.50"))
    claim = services.claim_submit(
        lot=lot, by=producer, kind="micro", isolation="geographic", statement="One terrace, processed apart."
    )
    services.claim_recompute(claim_id=claim.pk)

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    browser_login(page, moderator)
    page.goto(f"{live_server.url}/moderation/claims/{claim.pk}/")
    page.wait_for_selector("#hallmark-score[data-result=fail]")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=reason]", "Verified against the jury's sheets.")
    page.click("form.decision-form button[type=submit]")
    # Refused (htmx swaps the form back in): the failing hallmark needs its own reason.
    page.wait_for_selector("#field-override_score.has-error")
    assert page.locator("#claim-status[data-status=pending]").is_visible()
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=override_score]", REASON)
    page.click("form.decision-form button[type=submit]")
    page.wait_for_selector("#claim-status[data-status=approved]")

    visitor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(f"{live_server.url}/lots/{lot.pk}/")
    assert visitor.locator("#verified-badge").is_visible()
    assert visitor.locator("#public-hallmark-score[data-result=fail]").is_visible()
    assert REASON in visitor.locator("#approved-despite-score").inner_text()
