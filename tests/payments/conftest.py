"""Fixtures for payments: a lot, an order and a sample request for the cast's roaster, signed
webhook payloads, and localstripe (a fake Stripe API, dev-only) started once per test run."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from lots.models import Lot
from marketplace.negotiation import services as negotiation
from marketplace.negotiation.models import Order, SampleRequest
from marketplace.payments.providers import StripeProvider
from tests.conftest import free_port
from tests.factories import LotFactory

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_test_secret"  # as in marketplace/settings_test.py


@pytest.fixture
def lot(producer: Any) -> Lot:
    return LotFactory(producer=producer)


def make_order(lot: Lot, buyer: Any, qty: str = "100", source_id: int = 1) -> Order:
    """A 100 kg contract at 30 USD/kg: total 3,000 USD, fee and producer share from negotiation."""
    return negotiation.order_create(
        lot=lot,
        buyer=buyer,
        seller=lot.producer,
        quantity_kg=Decimal(qty),
        price_per_kg=Decimal("30.00"),
        currency="USD",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        source="negotiation",
        source_id=source_id,
        by=lot.producer,
    )


@pytest.fixture
def order(lot: Lot, roaster: Any) -> Order:
    return make_order(lot, roaster)


@pytest.fixture
def sample(lot: Lot, roaster: Any) -> SampleRequest:
    return SampleRequest.objects.create(
        lot=lot,
        roaster=roaster,
        producer=lot.producer,
        grams=300,
        fee=Decimal("25.00"),
        currency="USD",
        status="accepted",
    )


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


@pytest.fixture
def post_hook(client: Any) -> Any:
    """``post_hook(body, signature=None)`` posts to the webhook, signed correctly by default."""

    def post(body: bytes, signature: str | None = None) -> Any:
        return client.post(
            "/hooks/stripe/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body) if signature is None else signature,
        )

    return post


# --- localstripe ------------------------------------------------------------------------------


def _wait_for(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("localstripe did not start")


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """localstripe on a free loopback port for the whole run (tools/run_localstripe.py)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "run_localstripe.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def stripe_on(settings: Any, localstripe_url: str) -> str:
    """Stripe mode pointed at localstripe."""
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    return localstripe_url


def intents_at_stripe(payment: Any) -> list[Any]:
    """The PaymentIntents localstripe holds for this payment (by the metadata we send)."""
    from marketplace.payments.providers import get_provider

    client = get_provider("stripe").client  # type: ignore[attr-defined]
    found = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [pi for pi in found if pi["metadata"].to_dict().get("payment") == str(payment.public_id)]


@pytest.fixture
def stripe_fake(settings: Any) -> None:
    """Stripe mode without a server, for tests that only feed the webhook."""
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"


# --- Stripe is never called inside a database transaction ------------------------------------

STRIPE_CALLS = ("create_intent", "retrieve_intent", "find_intent", "refund")


@pytest.fixture(autouse=True)
def stripe_is_never_called_inside_a_transaction(
    _django_db_marker: None, request: Any, monkeypatch: Any
) -> Iterator[list[str]]:
    """Every call to the Stripe provider in these tests asserts that no transaction is open.

    A plain ``django_db`` test runs inside pytest-django's own transactions: those open when
    this fixture starts are the baseline, so the check is "no atomic block beyond the test's
    own". Other threads (the live server, concurrency tests) have their own connections and a
    baseline of none. Yields the list of offending calls (also raised where they happen).
    """
    for name in ("transactional_db", "db"):  # a test may get the database through a fixture only
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    main = connections["default"]
    baseline = len(main.atomic_blocks)
    offending: list[str] = []

    def guarded(name: str, method: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            conn = connections["default"]
            allowed = baseline if conn is main else 0
            if len(conn.atomic_blocks) > allowed:
                offending.append(name)
                raise AssertionError(f"Stripe {name} called inside a database transaction")
            return method(self, *args, **kwargs)

        return call

    for name in STRIPE_CALLS:
        monkeypatch.setattr(StripeProvider, name, guarded(name, getattr(StripeProvider, name)))
    yield offending
    assert not offending, f"Stripe called inside a transaction: {offending}"
