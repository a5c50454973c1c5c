"""Helpers shared by the schemathesis tests (the project-wide one and each app's own)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from tests import factories


@pytest.fixture(autouse=True)
def keep_test_connection() -> Iterator[None]:
    """Django's test client does the same: requests must not close the test's connection.

    Import this fixture into a fuzz module to make it apply there.
    """
    for sig in (signals.request_started, signals.request_finished):
        sig.disconnect(close_old_connections)
    yield
    for sig in (signals.request_started, signals.request_finished):
        sig.connect(close_old_connections)


def basic(user: Any) -> dict[str, str]:
    """Basic-auth header for a factory-made user (test settings enable strict Basic auth)."""
    raw = f"{user.email}:{factories.PASSWORD}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
