"""Browser journey in Chromium: a producer claims, a moderator asks for evidence, the producer adds a
custody document, the moderator approves, and the Verified badge appears in the catalogue."""

from __future__ import annotations

import pytest

from lots.models import Lot
from marketplace.moderation.models import MicroLotClaim
from tests.e2e.conftest import open_menu
from tests.moderation.builders import genuine_lot
from tests.security.hostile_files import clean_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = clean_pdf()


def test_claim_evidence_request_custody_document_approval_and_badge(
    live_server, browser, producer, moderator, q_grader, browser_login
):
    lot = genuine_lot(producer, q_grader, name="Gesha Terraza Alta")
    producer_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    moderator_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()

    # The producer submits a claim from the lot page.
    browser_login(producer_page, producer)
    producer_page.goto(f"{live_server.url}/lots/{lot.pk}/")
    producer_page.click("#submit-claim")
    producer_page.check("input[name=kind][value=micro]")
    producer_page.select_option("select[name=isolation]", "geographic")
    producer_page.fill("textarea[name=statement]", "Top terrace only, picked on two days, processed apart.")
    producer_page.click("form.claim-form button[type=submit]")
    producer_page.wait_for_selector("#claim-status[data-status=pending]")
    claim = MicroLotClaim.objects.get(lot=lot)

    # The moderator finds it in the queue and asks for more evidence.
    browser_login(moderator_page, moderator)
    moderator_page.goto(f"{live_server.url}/")
    open_menu(moderator_page)
    moderator_page.click("nav >> text=Moderation")
    moderator_page.click(f"#queue-claim-{claim.pk} a")
    moderator_page.wait_for_selector("#hallmark-separation[data-result=pass]")
    moderator_page.check("input[name=decision][value=request_evidence]")
    moderator_page.fill("textarea[name=reason]", "Please add the warehouse receipt for the packed bags.")
    moderator_page.click("form.decision-form button[type=submit]")
    moderator_page.wait_for_selector("#claim-status[data-status=evidence_requested]")
    # The decision was swapped in by htmx (CSP nonce and CSRF header at work), not a full reload.
    assert moderator_page.locator("#done").is_visible()

    # The producer reads the reason and adds a custody event with its document.
    producer_page.goto(f"{live_server.url}/moderation/claims/{claim.pk}/")
    assert "Please add the warehouse receipt" in producer_page.content()
    producer_page.goto(f"{live_server.url}/lots/{lot.pk}/custody/new/")
    producer_page.select_option("select[name=stage]", "warehouse")
    producer_page.fill("input[name=occurred_on]", "2025-11-20")
    producer_page.select_option("select[name=state_in]", "green")
    producer_page.select_option("select[name=state_out]", "green")
    producer_page.fill("input[name=weight_in_kg]", "300")
    producer_page.fill("input[name=weight_out_kg]", "300")
    producer_page.check("input[name=separated]")
    producer_page.set_input_files(
        "input[name=documents]", files=[{"name": "warehouse-receipt.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    producer_page.click("form.custody-form button[name=save]")
    producer_page.wait_for_url(f"{live_server.url}/lots/{lot.pk}/#custody")

    # The new evidence put the claim back in the queue; the moderator sees it and approves.
    moderator_page.goto(f"{live_server.url}/moderation/")
    moderator_page.click(f"#queue-claim-{claim.pk} a")
    assert "warehouse-receipt.pdf" in moderator_page.content()
    assert "warehouse" in moderator_page.locator("#changes").inner_text()
    moderator_page.check("input[name=decision][value=approve]")
    moderator_page.fill("textarea[name=reason]", "Receipt matches the packed weight; every hallmark passes.")
    moderator_page.click("form.decision-form button[type=submit]")
    moderator_page.wait_for_selector("#claim-status[data-status=approved]")
    assert Lot.objects.get(pk=lot.pk).verified_badge == "micro"

    # Anyone browsing the catalogue now sees the badge.
    visitor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(f"{live_server.url}/lots/")
    card = visitor.locator(f"text={lot.name}").first
    assert card.is_visible()
    assert visitor.locator(".tag.verified", has_text="Verified micro-lot").first.is_visible()
    visitor.goto(f"{live_server.url}/lots/{lot.pk}/")
    assert visitor.locator("#verified-badge").is_visible()
