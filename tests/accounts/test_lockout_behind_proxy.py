"""Behind the TLS proxy, a login lockout and the API throttle count the real client, and only it.

Issue 13, "Anyone can lock out anyone". The proxy is simulated: every request comes from its
address (REMOTE_ADDR) and carries the X-Forwarded-For chain a real proxy would pass on: whatever
the client sent, then the address the proxy saw. One setting, TRUSTED_PROXY_COUNT, says how many
entries from the right are ours; both django-axes and the DRF throttles follow it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def proxies(settings: Any, monkeypatch: Any) -> Iterator[Any]:
    """``proxies(n)`` sets the trusted-proxy count as TRUSTED_PROXY_COUNT does, and the auth throttle.

    (DRF's throttles read their rates into a class attribute at import, so that is patched.)
    """

    def configure(count: int, auth_rate: str = "1000/minute") -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}
        api_settings.reload()
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"auth": auth_rate, "bids": "100000/minute"})

    cache.clear()
    configure(1)
    yield configure
    cache.clear()
    api_settings.reload()


def via_proxy(client_ip: str, forged: str = "") -> dict[str, str]:
    """The request as the proxy passes it on: the client's own header (if any) plus its address."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def login(user: Any, password: str, **meta: str) -> int:
    return Client(**meta).post(reverse("accounts:login"), {"username": user.email, "password": password}).status_code


def test_an_attacker_behind_the_proxy_locks_out_only_themselves(roaster, proxies):
    codes = [login(roaster, "guess", **via_proxy(ATTACKER)) for _ in range(5)]
    assert codes == [200] * 4 + [429]  # the form again with an error, then the lockout page
    assert login(roaster, PASSWORD, **via_proxy(ATTACKER)) == 429
    assert login(roaster, PASSWORD, **via_proxy(VICTIM)) == 302  # the real user still gets in
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_the_api_login_is_locked_for_the_attacker_and_open_for_the_victim(roaster, proxies):
    for _ in range(5):
        Client(**via_proxy(ATTACKER)).post(
            TOKEN, {"email": roaster.email, "password": "guess"}, content_type="application/json"
        )
    attacker = Client(**via_proxy(ATTACKER)).post(
        TOKEN, {"email": roaster.email, "password": PASSWORD}, content_type="application/json"
    )
    victim = Client(**via_proxy(VICTIM)).post(
        TOKEN, {"email": roaster.email, "password": PASSWORD}, content_type="application/json"
    )
    assert attacker.status_code == 429 and victim.status_code == 200


def test_forging_x_forwarded_for_neither_escapes_the_lockout_nor_blames_another_address(roaster, proxies):
    for n in range(5):
        # A fresh forged address each time, and once the victim's own: only the proxy's entry counts.
        forged = VICTIM if n == 0 else f"192.0.2.{n}"
        login(roaster, "guess", **via_proxy(ATTACKER, forged=forged))
    assert login(roaster, PASSWORD, **via_proxy(ATTACKER, forged="192.0.2.200")) == 429
    assert login(roaster, PASSWORD, **via_proxy(VICTIM)) == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_forging_x_forwarded_for_does_not_escape_the_api_throttle(proxies):
    proxies(1, auth_rate="3/minute")

    def attempt(client_ip: str, forged: str = "", n: int = 0) -> int:
        # A different e-mail address each time: this is about the throttle, not the lockout.
        return (
            Client(**via_proxy(client_ip, forged=forged))
            .post(TOKEN, {"email": f"a{n}@b.test", "password": "x"}, content_type="application/json")
            .status_code
        )

    codes = [attempt(ATTACKER, forged=f"192.0.2.{n}", n=n) for n in range(5)]
    assert 429 not in codes[:3] and codes[3:] == [429, 429]
    assert attempt(VICTIM) != 429  # another client behind the same proxy is not throttled


def test_by_default_no_proxy_is_trusted_and_x_forwarded_for_is_ignored(roaster, monkeypatch):
    """The default configuration (TRUSTED_PROXY_COUNT unset): the header is the client's own words."""
    assert api_settings.NUM_PROXIES == 0
    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"auth": "3/minute", "bids": "100000/minute"})
    direct = {"REMOTE_ADDR": ATTACKER}
    codes = [
        Client(**direct, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        .post(TOKEN, {"email": f"a{n}@b.test", "password": "x"}, content_type="application/json")
        .status_code
        for n in range(5)
    ]
    assert codes[3:] == [429, 429]  # rotating the header did not make each request a new client
    cache.clear()
    for _ in range(5):
        login(roaster, "guess", **direct, HTTP_X_FORWARDED_FOR=VICTIM)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert login(roaster, PASSWORD, REMOTE_ADDR=VICTIM) == 302


def test_a_malformed_forwarded_address_falls_back_to_the_peer_without_an_error(roaster, proxies):
    status = login(roaster, "guess", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-ip\x00")
    assert status == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]


def test_one_environment_variable_sets_the_proxy_count_for_the_lockout_and_the_throttles():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings_test", "TRUSTED_PROXY_COUNT": "2"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from rest_framework.settings import api_settings; "
        "print(settings.TRUSTED_PROXY_COUNT, api_settings.NUM_PROXIES, settings.AXES_CLIENT_IP_CALLABLE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2 2 core.net.client_ip"
    bad = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "TRUSTED_PROXY_COUNT": "-1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "TRUSTED_PROXY_COUNT" in bad.stderr
