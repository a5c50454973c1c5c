from __future__ import annotations

import pytest

from accounts.models import User
from tests.e2e.conftest import confirm_signup_in_the_browser, open_menu

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("role", "fields"),
    [
        ("producer", {"organisation": "Finca Browser", "country": "CO"}),
        ("roaster", {"company": "Browser Roasters", "country": "NL"}),
        ("q_grader", {"licence_number": "Q-B-1", "licence_expires_on": "2030-06-30"}),
    ],
)
def test_new_user_signs_up_in_the_browser_confirms_by_e_mail_and_sees_their_dashboard(
    live_server, page, role, fields, mailoutbox
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.check(f"input[name=role][value={role}]")
    page.fill("input[name=email]", f"{role}@browser.test")
    page.fill("input[name=password]", "a-long-coffee-pass")
    page.fill("input[name=password_again]", "a-long-coffee-pass")
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)
    page.click("form.signup button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/signup/sent/")
    confirm_signup_in_the_browser(page, live_server, mailoutbox, "a-long-coffee-pass")
    assert User.objects.get(email=f"{role}@browser.test").role == role
    assert page.locator(".role-line").is_visible()


def test_roaster_is_refused_the_moderator_page_and_can_log_out(live_server, page, roaster, browser_login):
    browser_login(page, roaster)
    response = page.goto(f"{live_server.url}/accounts/licences/")
    assert response is not None and response.status == 403
    assert "Not allowed" in page.content()
    page.goto(f"{live_server.url}/")
    open_menu(page)
    page.click("nav button:has-text('Log out')")
    response = page.goto(f"{live_server.url}/accounts/dashboard/")
    assert "/accounts/login/" in page.url


def test_moderator_verifies_a_licence_in_the_browser(live_server, page, moderator, browser_login):
    from tests.factories import QGraderFactory

    grader = QGraderFactory(email="unverified@browser.test", profile__licence_verified_at=None)
    browser_login(page, moderator)
    page.goto(f"{live_server.url}/accounts/licences/")
    page.click(f"#licence-{grader.q_grader_profile.pk} button")
    page.wait_for_selector(f"#licence-{grader.q_grader_profile.pk} >> text=Verified by")
    grader.q_grader_profile.refresh_from_db()
    assert grader.q_grader_profile.licence_verified


def test_language_switcher_shows_spanish(live_server, page):
    page.goto(f"{live_server.url}/")
    open_menu(page)
    page.select_option("#language", "es")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"


def test_a_roaster_makes_and_revokes_an_api_token_in_the_browser(live_server, page, roaster, browser_login):
    browser_login(page, roaster)
    page.goto(f"{live_server.url}/accounts/tokens/")
    page.fill("input[name=name]", "roastery laptop")
    page.click("form.new-token button[type=submit]")
    token = page.locator("#issued-token code").inner_text()
    me = page.request.get(f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Token {token}"})
    assert me.status == 200
    assert page.locator("#tokens").get_by_text("roastery laptop").is_visible()
    page.click("#tokens button.danger")
    page.wait_for_selector("#no-tokens")
    gone = page.request.get(f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Token {token}"})
    assert gone.status == 401
