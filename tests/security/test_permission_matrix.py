"""Every route of the URL configuration × every role: reads against matrix.py, writes against actions.py.

A route without an entry fails (a new route cannot ship unexamined), for each method it answers,
and so does an entry whose route or method is gone.

Reads (``test_read``): the answer must be in the right class — refused: 401, 403, 404, or (pages
only, not the API) a redirect to the login page; allowed: anything else below 500 — and a page
may show a private text only to its audience.

Writes (``test_write``): each action of actions.py, aimed at another user's object in every
lifecycle state in which its owner may act, as every role. A refusal must be a refusal and leave
every row of the marketplace as it was; an allowed write must succeed and do what it says.
Everything runs inside the test's savepoint in the world's transaction, so no case leaks into
the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security.actions import ACTIONS, Action, Ctx, case_id
from tests.security.matrix import (
    KNOWN_HOLES,
    MATRIX,
    ROLES,
    SECRETS,
    VARIANTS,
    WRITE_METHODS,
    case_for,
    flat_urls,
    reverse_name,
    route_methods,
)
from tests.security.snapshot import changed, fingerprint

URLS = {name: route for route, name in flat_urls()}
METHODS = route_methods()


def _read_params() -> list[Any]:
    return [
        pytest.param(key, role, id=f"{key.replace(' ', '.')}-{role}")
        for key in [*sorted(MATRIX), *sorted(VARIANTS)]
        for role in ROLES
    ]


def _write_params() -> list[Any]:
    params = []
    for action in ACTIONS:
        for state in action.states:
            for role in ROLES:
                ident = case_id(action, state, role)
                marks = []
                if ident in KNOWN_HOLES:
                    marks.append(pytest.mark.xfail(strict=True, reason="a known hole, fixed in its own branch"))
                params.append(pytest.param(action, state, role, marks=marks, id=ident))
    return params


WRITE_IDS = {case_id(a, s, r) for a in ACTIONS for s in a.states for r in ROLES}


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
    world["sessions"] = cookies
    return cookies


@pytest.fixture(scope="module")
def baseline(world: dict[str, Any], sessions: dict[str, str], django_db_blocker: Any) -> dict[str, Any]:
    """The fingerprint of the world as built: every case starts from it (its savepoint rolls back
    whatever the case did), so the state before each request is this one. A case that leaked
    would make every later case differ from it, loudly."""
    with django_db_blocker.unblock():
        return fingerprint()


@pytest.fixture(autouse=True)
def back_to_english() -> Iterator[None]:
    yield
    from django.utils import translation

    translation.activate("en")


@pytest.fixture(autouse=True)
def card_processor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stripe answers as a card needing 3-D Secure would; no request leaves the machine."""
    from marketplace.payments import providers

    def create_intent(self: Any, *, amount: Any, currency: str, idempotency_key: str, **kw: Any) -> Any:
        return providers.IntentResult(
            intent_id=f"pi_matrix_{idempotency_key}",
            status=providers.IntentStatus.REQUIRES_ACTION,
            amount=amount,
            currency=currency,
            client_secret="pi_matrix_secret",
        )

    monkeypatch.setattr(providers.StripeProvider, "create_intent", create_intent)


def client_for(role: str, sessions: dict[str, str]) -> APIClient:
    client = APIClient()  # a Django test client that also speaks JSON
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
    return client


def is_refusal(response: Any, *, api: bool = False) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code == 302 and not api:  # an API client cannot follow a login page
        return urlparse(response["Location"]).path == reverse(settings.LOGIN_URL)
    return False


def where(response: Any) -> str:
    return f" -> {response['Location']}" if response.status_code in (301, 302, 303) else ""


# --- coverage -------------------------------------------------------------------------------------


def test_every_route_has_an_entry_for_every_method() -> None:
    """GET needs a MATRIX entry; every write method needs an action in actions.py."""
    covered = {(a.route, a.method) for a in ACTIONS}
    missing = []
    for name, methods in sorted(METHODS.items()):
        if "get" in methods and name not in MATRIX:
            missing.append(f"GET {name} ({URLS[name]}): no entry in MATRIX")
        for method in sorted(set(methods) & set(WRITE_METHODS)):
            if (name, method) not in covered:
                missing.append(f"{method.upper()} {name} ({URLS[name]}): no action in actions.py")
    assert not missing, "routes the permission matrix does not examine:\n" + "\n".join(missing)


def test_no_entry_for_a_route_or_method_that_is_gone() -> None:
    stale = [f"MATRIX {n}" for n in MATRIX if "get" not in METHODS.get(n, set())]
    stale += [f"VARIANTS {k}" for k in VARIANTS if "get" not in METHODS.get(k.split(" ")[0], set())]
    stale += [f"{a.key}" for a in ACTIONS if a.method not in METHODS.get(a.route, set())]
    assert not stale, f"entries for routes or methods that no longer exist: {stale}"


def test_every_known_hole_names_a_case() -> None:
    unknown = sorted(set(KNOWN_HOLES) - WRITE_IDS)
    assert not unknown, f"KNOWN_HOLES entries that are no case of the write matrix: {unknown}"


def test_action_keys_are_unique() -> None:
    keys = [a.key for a in ACTIONS]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


# --- reads ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "role"), _read_params())
def test_read(key: str, role: str, world: dict[str, Any], sessions: dict[str, str]) -> None:
    name = key.split(" ")[0]
    case = case_for(key)
    url = reverse_name(name, case.kwargs(world))
    if case.query:
        url += "?" + case.query.format(draft=world["draft"].pk)
    response = client_for(role, sessions).get(url)
    status = response.status_code
    assert status < 500, f"{key} as {role}: server error {status}"
    if role not in case.allowed:
        assert is_refusal(response, api=URLS[name].startswith("api/")), (
            f"{key} as {role}: expected a refusal, got {status}{where(response)}"
        )
        return
    assert not is_refusal(response), f"{key} as {role}: expected to be allowed, got {status}{where(response)}"
    assert status != 405, f"{key} as {role}: GET is not accepted here (405)"
    if status != 200:
        return
    body = b"".join(getattr(response, "streaming_content", [])) if response.streaming else response.content
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


# --- writes ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state", "role"), _write_params())
def test_write(
    action: Action, state: str, role: str, world: dict[str, Any], sessions: dict[str, str], baseline: dict[str, Any]
) -> None:
    target = world["at"][action.kind][state] if action.kind else None
    if target is not None:
        target = type(target)._default_manager.get(pk=target.pk)  # as the database has it now
    client = client_for(role, sessions)
    c = Ctx(world, target, role, state, client=client)
    url = reverse(action.route, kwargs=action.kwargs(c) or None)
    api = URLS[action.route].startswith("api/")
    fmt = action.fmt or ("json" if api else "multipart")
    data = action.data(c)
    what = f"{case_id(action, state, role)}: {action.method.upper()} {url}"

    response = getattr(client, action.method)(url, data, format=fmt, **action.headers)
    c.response = response
    if action.after is not None:
        action.after(c)
    allowed = role in action.allowed(state)
    # The allowed side proves itself by its effect; everyone else by leaving every row as it was.
    diff = changed(baseline, fingerprint()) if not allowed or action.unchanged else []
    status = response.status_code
    assert status < 500, f"{what}: server error {status}"

    if allowed:
        if role not in action.any_answer:
            assert status < 400 and not is_refusal(response), (
                f"{what}: must succeed for {role} in state {state}, got {status}{where(response)} {_text(response)}"
            )
        if action.unchanged:
            assert not diff, f"{what}: rows changed: {diff}"
        action.effect(c)
    elif role in action.blocked(state):
        assert not diff, f"{what}: {role} may not do this in state {state}, yet rows changed: {diff} ({status})"
    else:
        refused = is_refusal(response, api=api) or status in action.refusal_codes
        assert refused, f"{what}: expected a refusal for {role}, got {status}{where(response)} {_text(response)}"
        assert not diff, f"{what}: refused ({status}), yet rows changed: {diff}"
    if action.invariant is not None:
        action.invariant(c)


def _text(response: Any) -> str:
    if response.streaming or not response.get("Content-Type", "").startswith("application/json"):
        return ""
    return response.content.decode()[:300]
