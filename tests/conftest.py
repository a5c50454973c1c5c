"""The cast of actors and the service switches shared by the whole suite.

Actors: ``producer``, ``second_producer``, ``roaster``, ``q_grader`` (licence verified),
``moderator`` and ``outsider`` (a signed-up roaster with no part in anything), plus a logged-in
Django test client for each (``producer_client`` …) and ``anon_client``.

Services: ``require_postgres`` / ``require_redis`` / ``require_chromium`` skip a test when the
service is missing, except under ``CI=true``, where a missing service fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop in the test thread

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing(reason: str) -> None:
    """Skip locally; fail in CI, where every service must be there."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def redis_test_url(db: int) -> str:
    base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") >= 3 else REDIS_URL
    return f"{base}/{db}"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(redis_test_url(14), socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def require_postgres(db: Any) -> None:
    if connection.vendor != "postgresql":
        missing("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def require_redis() -> None:
    if not os.environ.get("REDIS_URL") and not IN_CI:
        pytest.skip("this test needs Redis (set REDIS_URL)")
    if not _redis_up():
        missing(f"Redis does not answer at {REDIS_URL}")


@pytest.fixture(scope="session")
def require_chromium() -> None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"Chromium is not installed at {CHROMIUM}")


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise() -> Iterator[None]:
    """The locale middleware leaves the last request's language active in the thread; a test that
    switched to Spanish must not make the next test's messages Spanish."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


# --- The cast ---------------------------------------------------------------------------------

PASSWORD = factories.PASSWORD


@pytest.fixture
def producer(db: Any) -> Any:
    return factories.ProducerFactory(email="producer@example.test", display_name="Paula Producer")


@pytest.fixture
def second_producer(db: Any) -> Any:
    return factories.ProducerFactory(email="producer2@example.test", display_name="Pedro Second")


@pytest.fixture
def roaster(db: Any) -> Any:
    return factories.RoasterFactory(email="roaster@example.test", display_name="Rita Roaster")


@pytest.fixture
def second_roaster(db: Any) -> Any:
    return factories.RoasterFactory(email="roaster2@example.test", display_name="Rolf Roaster")


@pytest.fixture
def q_grader(db: Any) -> Any:
    return factories.QGraderFactory(email="grader@example.test", display_name="Quinn Grader")


@pytest.fixture
def moderator(db: Any) -> Any:
    return factories.ModeratorFactory(email="moderator@example.test", display_name="Mona Moderator")


@pytest.fixture
def outsider(db: Any) -> Any:
    return factories.RoasterFactory(email="outsider@example.test", display_name="Otto Outsider")


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.EmailBackend")
    return client


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def producer_client(producer: Any) -> Client:
    return _client_for(producer)


@pytest.fixture
def second_producer_client(second_producer: Any) -> Client:
    return _client_for(second_producer)


@pytest.fixture
def roaster_client(roaster: Any) -> Client:
    return _client_for(roaster)


@pytest.fixture
def q_grader_client(q_grader: Any) -> Client:
    return _client_for(q_grader)


@pytest.fixture
def moderator_client(moderator: Any) -> Client:
    return _client_for(moderator)


@pytest.fixture
def outsider_client(outsider: Any) -> Client:
    return _client_for(outsider)


def api_client_for(user: Any | None) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api() -> Any:
    """``api(user)`` → a DRF APIClient authenticated as ``user`` (None for anonymous)."""
    return api_client_for


# --- Celery -----------------------------------------------------------------------------------


def _reset_pools(app: Any) -> None:
    """Drop pooled broker connections so the next use connects to the current broker_url."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    from kombu import pools

    pools.reset()  # kombu keeps global per-URL pools that a stopped worker leaves closed


@pytest.fixture
def celery_worker_on_redis(transactional_db: Any, require_redis: None) -> Iterator[Any]:
    """A real worker thread of the project's Celery app on Redis (DB $TEST_REDIS_DB or 14, results +1).

    Uses transactional_db so the worker thread sees committed rows.
    """
    from celery.contrib.testing.worker import start_worker

    from marketplace.celery import app as project_app

    worker_db = int(os.environ.get("TEST_REDIS_DB", "14"))
    old = {
        k: project_app.conf.get(k)
        for k in ("broker_url", "result_backend", "task_ignore_result", "broker_transport_options")
    }
    project_app.conf.update(
        broker_url=redis_test_url(worker_db),
        result_backend=redis_test_url(worker_db + 1),
        task_ignore_result=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    import redis

    _reset_pools(project_app)
    redis.Redis.from_url(redis_test_url(worker_db)).flushdb()
    try:
        with start_worker(project_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield project_app
    finally:
        project_app.conf.update(**old)
        _reset_pools(project_app)


# --- Browser ----------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], require_chromium: None) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A phone-sized window: every journey also proves the pages work on a phone.
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "locale": "en-US"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
