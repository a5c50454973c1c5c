"""Browser journeys: Playwright driving Debian's Chromium against Django's live server.

The window is phone-sized (390×844), so the menu is behind the ☰ toggle: use ``open_menu``.
"""

from __future__ import annotations

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


@pytest.fixture
def browser_login(live_server: Any) -> Any:
    """``browser_login(page, user)`` signs ``user`` in through the login form."""
    return lambda page, user, password=PASSWORD: login(page, live_server, user, password)
