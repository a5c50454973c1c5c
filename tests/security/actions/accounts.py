"""Writes of core and accounts: notifications, sign-up, sign-in, tokens, password reset, profiles, licences."""

from __future__ import annotations

from typing import Any

from tests.security.actions.base import (
    Action,
    Ctx,
    Effect,
    creates,
    is_set,
    nothing,
    pk,
    stateless,
)
from tests.security.matrix import (
    EVERYONE,
    GRADERS,
    MOD,
    NOBODY,
    OWNER,
    PRODUCERS,
    ROASTERS,
    SIGNED_IN,
)

ACTIONS: list[Action] = []
add = ACTIONS.append

# --- core -----------------------------------------------------------------------------------------
# Marking read names a notification in the body: anybody else's mark is quietly ignored.
add(
    Action(
        "notifications_read",
        "post",
        "notification",
        {"unread": OWNER},
        is_set("read_at"),
        data=lambda c: {"id": c.target.pk},
        refusal_codes=frozenset({302}),
    )
)

# --- accounts -------------------------------------------------------------------------------------


def _token_works(email: str) -> Effect:
    def check(c: Ctx) -> None:
        from rest_framework.test import APIClient

        body = c.response.json()
        token = body.get("token") or body.get("key")
        assert token, f"no token in {body}"
        me = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
        assert me.status_code == 200 and me.json().get("email") == email, f"the token does not work: {me.status_code}"

    return check


def _producer_can_still_sign_in(c: Ctx) -> None:
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/accounts/login/",
        {"username": "producer@example.test", "password": "correct-horse-coffee"},
        format="multipart",
    )
    assert response.status_code == 302, f"the producer cannot sign in any more: {response.status_code}"


add(
    stateless(
        "api-register",
        "post",
        EVERYONE,
        creates("accounts.User", email="new-matrix@example.test", role="roaster"),
        data=lambda c: {
            "email": "new-matrix@example.test",
            "password": "a-long-matrix-password",
            "role": "roaster",
            "company": "Matrix Roasters",
            "country": "DE",
        },
        label="new",
    )
)
add(
    stateless(
        "api-token",
        "post",
        EVERYONE,  # no session counts here: whoever knows the password gets a token
        _token_works("producer@example.test"),
        data=lambda c: {"email": "producer@example.test", "password": "correct-horse-coffee"},
        label="own-password",
    )
)
add(
    stateless(
        "api-token",
        "post",
        NOBODY,
        nothing,
        data=lambda c: {"email": "producer@example.test", "password": "wrong-matrix-password"},
        label="wrong-password",
        refusal_codes=frozenset({400}),
        invariant=_producer_can_still_sign_in,
    )
)
add(
    stateless(
        "accounts:signup",
        "post",
        frozenset({"anonymous"}),
        creates("accounts.User", email="new-matrix@example.test"),
        parties=SIGNED_IN,  # a signed-in user is sent to the dashboard
        data=lambda c: {
            "role": "roaster",
            "email": "new-matrix@example.test",
            "password": "a-long-matrix-password",
            "password_again": "a-long-matrix-password",
            "company": "Matrix Roasters",
            "country": "DE",
        },
    )
)


def _signed_in_as(email: str) -> Effect:
    def check(c: Ctx) -> None:
        from accounts.models import User

        user_id = c.response.wsgi_request.session.get("_auth_user_id")
        assert user_id == str(User.objects.get(email=email).pk), f"signed in as {user_id!r}"

    return check


add(
    stateless(
        "accounts:login",
        "post",
        frozenset({"anonymous"}),
        _signed_in_as("producer@example.test"),
        parties=SIGNED_IN,  # already signed in: sent on, nothing changes
        data=lambda c: {"username": "producer@example.test", "password": "correct-horse-coffee"},
        label="own-password",
    )
)
# Someone else's e-mail with a wrong password: nothing of that account changes (django-axes keeps
# its own count of failures, outside the fingerprint), and the right password still works.
add(
    stateless(
        "accounts:login",
        "post",
        NOBODY,
        nothing,
        parties=EVERYONE,
        data=lambda c: {"username": "producer@example.test", "password": "wrong-matrix-password"},
        label="wrong-password",
        invariant=_producer_can_still_sign_in,
    )
)
add(
    stateless(
        "accounts:login",
        "put",
        NOBODY,
        nothing,
        parties=EVERYONE,
        data=lambda c: {"username": "producer@example.test", "password": "correct-horse-coffee"},
    )
)


def _signed_out(c: Ctx) -> None:
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=c.w["sessions"][c.role]).exists(), "the session is still there"


add(
    stateless(
        "accounts:logout",
        "post",
        SIGNED_IN,
        _signed_out,
        parties=EVERYONE,
    )
)


def _reset_mailed_without_enumeration(c: Ctx) -> None:
    """The owner of the address gets the mail; the answer is the same as for an unknown address."""
    from django.core import mail

    to = [m.to for m in mail.outbox]
    assert to == [["producer@example.test"]], f"mails sent: {to}"
    other = c.client.post(c.response.request["PATH_INFO"], {"email": "nobody-matrix@example.test"}, format="multipart")
    assert (other.status_code, other.get("Location")) == (c.response.status_code, c.response.get("Location")), (
        f"a known address answers {c.response.status_code} {c.response.get('Location')}, "
        f"an unknown one {other.status_code} {other.get('Location')}"
    )


add(
    stateless(
        "accounts:password_reset",
        "post",
        EVERYONE,  # anyone may ask; the mail goes to the address's owner
        _reset_mailed_without_enumeration,
        any_answer=EVERYONE,
        unchanged=True,  # no row may change: the mail is the whole effect
        data=lambda c: {"email": "producer@example.test"},
        label="known-address",
    )
)
add(
    stateless(
        "accounts:password_reset",
        "put",
        NOBODY,
        nothing,
        parties=EVERYONE,
        data=lambda c: {"email": "producer@example.test"},
    )
)
for _method in ("post", "put"):
    add(
        Action(
            "accounts:password_reset_confirm",
            _method,
            "user",
            {"producer": NOBODY},
            nothing,
            parties=EVERYONE,
            kwargs=lambda c: {"uidb64": _uid(c.target), "token": "forged-matrix-token"},
            data=lambda c: {"new_password1": "a-new-matrix-password", "new_password2": "a-new-matrix-password"},
            label="forged-token",
        )
    )


def _uid(user: Any) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk))


def _profile_data(c: Ctx) -> dict[str, Any]:
    if c.role in PRODUCERS:
        return {"organisation": "Matrix Farms", "country": "CO", "region": "Huila"}
    if c.role in ROASTERS:
        return {"company": "Matrix Roasters", "country": "DE"}
    if c.role in GRADERS:
        profile = c.user.q_grader_profile
        return {
            "licence_number": profile.licence_number,
            "licence_type": profile.licence_type,
            "licence_expires_on": profile.licence_expires_on.isoformat(),
            "lab": "Matrix Lab",
        }
    return {}


def _own_profile_changed(c: Ctx) -> None:
    from accounts.services import profile_for

    profile = profile_for(type(c.user).objects.get(pk=c.user.pk))
    marker = {"organisation", "company", "lab"}
    values = {getattr(profile, name, None) for name in marker}
    assert values & {"Matrix Farms", "Matrix Roasters", "Matrix Lab"}, f"profile not saved: {values}"


add(
    stateless(
        "accounts:profile",
        "post",
        SIGNED_IN - MOD,  # everyone edits their own; a moderator has no profile form
        _own_profile_changed,
        parties=MOD,
        data=_profile_data,
    )
)
add(
    Action(
        "accounts:licence_verify",
        "post",
        "licence",
        {"unverified": MOD},
        is_set("licence_verified_at"),
        kwargs=pk(),
        data=lambda c: {"verified": "1"},
    )
)
