"""The PostgreSQL connection of a request is killed (pg_terminate_backend from a second
connection) while the request is inside its transaction, after its first writes.

The site runs in pytest-django's live server (a real WSGI server thread with its own database
connection and Django's request signals, so connection health checks run as in production). The
answer must be a clear error (the JSON error shape for the API, the 500 page for people), nothing
of the interrupted transaction may be left in the database, and the next request must work.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
import requests
from django.db import connection
from django.test import Client

from accounts.services_tokens import api_token_create
from core.models import AuditEvent
from lots import services as lot_services
from lots.models import Lot
from tests import factories
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TIMEOUT = 20


def _terminate_backend(pid: int) -> None:
    """From a second connection, as an operator or a failover would."""
    s = connection.settings_dict
    with psycopg.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
        user=s.get("USER") or "postgres",
        password=s.get("PASSWORD") or None,
        dbname=s["NAME"],
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)

        def gone() -> bool:
            return other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None

        assert wait_for(gone, 10)


@pytest.fixture
def drop_connection_after_audit(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The first ``audit_log`` call of a lots service writes its row, then loses its connection.

    The service has already saved the lot by then (audit_log comes after the save, in the same
    transaction), so whatever is found in the database afterwards was left by a broken transaction.
    """
    killed: list[int] = []
    original: Callable[..., Any] = lot_services.audit_log

    def audit_then_lose_connection(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not killed:
            from django.db import connection as request_connection  # the server thread's own

            assert request_connection.in_atomic_block
            with request_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            _terminate_backend(pid)
            killed.append(pid)
        return result

    monkeypatch.setattr(lot_services, "audit_log", audit_then_lose_connection)
    yield killed


@pytest.fixture
def listed_lot(transactional_db: Any, require_postgres: None, producer: Any) -> Lot:
    return factories.LotFactory(producer=producer)


def test_an_api_write_gets_a_json_500_leaves_nothing_and_the_next_request_works(
    live_server: Any, listed_lot: Lot, producer: Any, drop_connection_after_audit: list[int]
) -> None:
    _token, plain = api_token_create(user=producer, name="fault test")
    http = requests.Session()
    http.headers["Authorization"] = f"Token {plain}"
    url = f"{live_server.url}/api/v1/lots/{listed_lot.pk}/"
    before = Lot.objects.values("price", "version", "updated_at").get(pk=listed_lot.pk)
    audits = AuditEvent.objects.count()

    response = http.patch(url, json={"price": "44.00", "version": before["version"]}, timeout=TIMEOUT)

    assert drop_connection_after_audit, "the connection was never dropped"
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Server error.", "extra": {}}
    assert Lot.objects.values("price", "version", "updated_at").get(pk=listed_lot.pk) == before
    assert AuditEvent.objects.count() == audits  # the audit row written before the drop is gone too

    # The next request gets a fresh connection (the broken one was closed at the end of the last).
    assert http.get(url, timeout=TIMEOUT).status_code == 200
    retry = http.patch(url, json={"price": "44.00", "version": before["version"]}, timeout=TIMEOUT)
    assert retry.status_code == 200, retry.text
    lot = Lot.objects.get(pk=listed_lot.pk)
    assert (lot.price, lot.version) == (Decimal("44.00"), before["version"] + 1)
    assert AuditEvent.objects.filter(action="lot.updated", target_id=str(lot.pk)).count() == 1


def test_a_page_form_gets_the_500_page_leaves_nothing_and_the_next_request_works(
    live_server: Any, listed_lot: Lot, producer: Any, drop_connection_after_audit: list[int]
) -> None:
    session = Client()
    session.force_login(producer, backend="accounts.backends.EmailBackend")
    csrf = secrets.token_hex(16)  # a 32-character secret; the header must match the cookie
    http = requests.Session()
    http.cookies.set("sessionid", session.cookies["sessionid"].value)
    http.cookies.set("csrftoken", csrf)
    http.headers["X-CSRFToken"] = csrf
    page = f"{live_server.url}/lots/{listed_lot.pk}/"
    audits = AuditEvent.objects.count()

    response = http.post(f"{page}status/", data={"to": "withdrawn", "reason": "sold privately"}, timeout=TIMEOUT)

    assert drop_connection_after_audit, "the connection was never dropped"
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert Lot.objects.get(pk=listed_lot.pk).status == "listed"
    assert AuditEvent.objects.count() == audits

    assert http.get(page, timeout=TIMEOUT).status_code == 200
    retry = http.post(
        f"{page}status/", data={"to": "withdrawn", "reason": "sold privately"}, timeout=TIMEOUT, allow_redirects=False
    )
    assert retry.status_code == 302
    assert Lot.objects.get(pk=listed_lot.pk).status == "withdrawn"
    assert AuditEvent.objects.filter(action="lot.status_changed", target_id=str(listed_lot.pk)).count() == 1
