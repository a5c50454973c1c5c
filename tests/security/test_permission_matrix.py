"""Every URL of the URL configuration × every role, against the expectation table in matrix.py.

A URL without an entry fails (a new URL cannot ship unexamined) and so does an entry whose URL
is gone. For each (URL, role) pair the answer must be in the right class:

- refused: 401, 403, 404, or (pages only, not the API) a redirect to the login page;
- allowed: anything else below 500 (200/201/202/302 elsewhere/400/409…): the permission check let
  the request through, whatever the business rules then said.

Writes are sent with POST_DATA (valid enough that validation does not answer before the
permission check) and run inside the test's savepoint, so nothing leaks into the next case.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security.matrix import MATRIX, POST_DATA, ROLES, SECRETS, WRITES, case_for, flat_urls, reverse_name

URLS = {name: route for route, name in flat_urls()}


def _params() -> list[Any]:
    params = []
    for key in [*sorted(set(URLS) | set(MATRIX)), *sorted(WRITES)]:
        case = WRITES.get(key) or MATRIX.get(key)
        for role in ROLES:
            marks = []
            if case is not None and role in case.bugs:
                marks.append(pytest.mark.xfail(strict=True, reason=f"permission bug: {case.bugs[role]}"))
            params.append(pytest.param(key, role, marks=marks, id=f"{key.replace(' ', '.')}-{role}"))
    return params


@pytest.fixture(scope="module")
def sessions(world: dict[str, Any], django_db_blocker: Any) -> dict[str, str]:
    """A session cookie per signed-in role, made once inside the world's transaction."""
    cookies = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            if role == "anonymous":
                continue
            client = APIClient()
            client.force_login(world[role], backend="accounts.backends.EmailBackend")
            cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies


@pytest.fixture(autouse=True)
def back_to_english() -> Iterator[None]:
    yield
    from django.utils import translation

    translation.activate("en")


def is_refusal(response: Any, *, api: bool = False) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code == 302 and not api:  # an API client cannot follow a login page
        return urlparse(response["Location"]).path == reverse(settings.LOGIN_URL)
    return False


def trail() -> tuple[int, int]:
    """What every state change leaves behind: audit events and notifications."""
    from core.models import AuditEvent, Notification

    return AuditEvent.objects.count(), Notification.objects.count()


def call(key: str, role: str, world: dict[str, Any], sessions: dict[str, str]) -> Any:
    name = key.split(" ")[0]
    case = case_for(key)
    url = reverse_name(name, case.kwargs(world))
    if case.query:
        url += "?" + case.query.format(draft=world["draft"].pk)
    client = APIClient()  # a Django test client that also speaks JSON
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
    if case.method == "get":
        return client.get(url)
    extra = case.data(world) if callable(case.data) else case.data
    data = {**POST_DATA, **extra}
    fmt = case.fmt or ("json" if URLS[name].startswith("api/") else "multipart")  # multipart: a browser form
    return getattr(client, case.method)(url, data, format=fmt)


def test_every_url_has_an_entry() -> None:
    missing = sorted(set(URLS) - set(MATRIX))
    assert not missing, f"URLs without an entry in tests/security/matrix.py: {missing}"


def test_no_entry_for_a_url_that_is_gone() -> None:
    stale = sorted((set(MATRIX) | {key.split(" ")[0] for key in WRITES}) - set(URLS))
    assert not stale, f"entries in tests/security/matrix.py for URLs that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "role"), _params())
def test_permission(key: str, role: str, world: dict[str, Any], sessions: dict[str, str]) -> None:
    name = key.split(" ")[0]
    assert name in URLS, f"{key}: the entry names a URL that no longer exists"
    assert name in MATRIX, f"{name} ({URLS[name]}): no entry in the permission matrix"
    case = case_for(key)
    before = trail()
    response = call(key, role, world, sessions)
    status = response.status_code
    where = f" -> {response['Location']}" if status in (301, 302, 303) else ""
    assert status < 500, f"{key} as {role}: server error {status}"
    if role not in case.allowed:
        refused = is_refusal(response, api=URLS[name].startswith("api/")) or status in case.refusal_codes
        assert refused, f"{key} as {role}: expected a refusal, got {status}{where}"
        assert trail() == before, f"{key} as {role}: refused, yet it left an audit event or a notification"
        return
    assert not is_refusal(response), f"{key} as {role}: expected to be allowed, got {status}{where}"
    assert status != 405, f"{key} as {role}: {case.method.upper()} is not accepted here (405)"
    if status != 200 or case.method != "get":
        return
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if case.secret is not None:
        secret = case.secret(world)
        shown = secret.encode() in body
        if role in case.sees:
            assert shown, f"{key} as {role}: {secret!r} should be listed"
        else:
            assert not shown, f"{key} as {role}: shows {secret!r}, which only {sorted(case.sees)} may see"
    for label, text, audience in SECRETS:
        if role not in audience:
            assert text(world).encode() not in body, f"{key} as {role}: shows {label}, for {sorted(audience)} only"
