"""Browser journeys: Playwright driving Debian's Chromium against Django's live server.

The window is phone-sized (390×844), so the menu is behind the ☰ toggle: use ``open_menu``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import PASSWORD


def open_menu(page: Any) -> None:
    toggle = page.locator("label.nav-toggle-label")
    if toggle.is_visible() and not page.locator("nav.nav").is_visible():
        toggle.click()


def login(page: Any, live_server: Any, user: Any, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/dashboard/")


def confirm_signup_in_the_browser(page: Any, live_server: Any, mailoutbox: list[Any], password: str) -> None:
    """Open the confirmation link of the last e-mail, enter the password, land on the dashboard."""
    match = re.search(r"/accounts/activate/[^/\s]+/[^/\s]+/", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    page.goto(f"{live_server.url}{match.group(0)}")
    page.fill("input[name=password]", password)
    page.click("form.activate button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/dashboard/")


@pytest.fixture
def browser_login(live_server: Any) -> Any:
    """``browser_login(page, user)`` signs ``user`` in through the login form."""
    return lambda page, user, password=PASSWORD: login(page, live_server, user, password)
