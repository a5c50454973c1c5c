"""Races on PostgreSQL: simultaneous sign-ups for one address, simultaneous logins past the token limit."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from django.core import mail

from accounts.models import ApiToken, User
from accounts.services import user_signup
from accounts.services_tokens import api_token_create
from tests.concurrency import run_concurrently
from tests.factories import RoasterFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_six_simultaneous_sign_ups_for_one_new_address_make_one_account_and_all_answer_alike(
    require_postgres: None, mailoutbox: list[Any]
) -> None:
    signup = partial(
        user_signup,
        email="race@example.test",
        password="a-long-coffee-pass",
        role="roaster",
        profile={"company": "Race Roasters", "country": "DE"},
    )
    results = run_concurrently([signup] * 6)
    assert results == [("ok", None)] * 6  # no IntegrityError surfaces: every caller is told the same
    assert User.objects.filter(email="race@example.test").count() == 1
    assert len(mail.outbox) == 6 and {m.to[0] for m in mail.outbox} == {"race@example.test"}


def test_simultaneous_logins_never_pass_the_token_limit(require_postgres: None, settings: Any) -> None:
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 3}
    roaster = RoasterFactory()
    results = run_concurrently([partial(api_token_create, user=roaster, name=f"device {n}") for n in range(8)])
    assert sorted(kind for kind, _value in results) == ["err"] * 5 + ["ok"] * 3
    assert {type(value).__name__ for kind, value in results if kind == "err"} == {"ValidationError"}
    assert ApiToken.objects.filter(user=roaster).count() == 3
