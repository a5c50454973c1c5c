"""Writes of core and accounts: notifications, sign-up, sign-in, tokens, password reset, profiles, licences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.factories import PASSWORD
from tests.security.actions.base import (
    Action,
    Ctx,
    Effect,
    becomes,
    both,
    caller,
    creates,
    deletes,
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


def _registration(email: str) -> dict[str, Any]:
    return {
        "email": email,
        "password": "a-long-matrix-password",
        "role": "roaster",
        "company": "Matrix Roasters",
        "country": "DE",
    }


def _answered(status: int) -> Effect:
    def check(c: Ctx) -> None:
        assert c.response.status_code == status, f"answered {c.response.status_code}, expected {status}"

    return check


def _same_answer_as_a_new_address(c: Ctx) -> None:
    other = c.client.post("/api/v1/auth/register/", _registration("fresh-matrix@example.test"), format="json")
    assert (other.status_code, other.json()) == (c.response.status_code, c.response.json()), (
        f"a taken address answers {c.response.status_code} {c.response.json()}, "
        f"a new one {other.status_code} {other.json()}"
    )


def _producer_untouched(c: Ctx) -> None:
    from accounts.models import User

    producer = User.objects.get(email="producer@example.test")
    assert producer.is_active and producer.check_password("correct-horse-coffee"), "the producer's account changed"
    assert producer.role == "producer"


add(
    stateless(
        "api-register",
        "post",
        EVERYONE,
        both(
            _answered(202),
            creates(
                "accounts.User",
                email="new-matrix@example.test",
                role="roaster",
                is_active=False,
                pending_activation=True,
            ),
        ),
        data=lambda c: _registration("new-matrix@example.test"),
        label="new",
    )
)
# An address that has an account: the same answer as a new one (sign-up must not reveal accounts),
# and the account itself is left as it was.
add(
    stateless(
        "api-register",
        "post",
        EVERYONE,
        both(_same_answer_as_a_new_address, _producer_untouched),
        data=lambda c: _registration("producer@example.test"),
        label="taken-address",
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
        # An inactive account until the e-mailed link is opened.
        creates("accounts.User", email="new-matrix@example.test", is_active=False, pending_activation=True),
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


# --- sign-up confirmation ---------------------------------------------------------------------
# The e-mailed link (its uid and token) and the password chosen at sign-up are the credential:
# whoever holds both switches the account on, whoever is signed in meanwhile; a forged token or
# a wrong password changes nothing.
def _activation(c: Ctx) -> dict[str, str]:
    from accounts.emails import activation_token_generator

    return {"uid": _uid(c.target), "token": activation_token_generator.make_token(c.target)}


def _link_of(data: Callable[[Ctx], dict[str, str]]) -> Callable[[Ctx], dict[str, Any]]:
    """The page's URL carries the link's uid and token."""
    return lambda c: {"uidb64": data(c)["uid"], "token": data(c)["token"]}


def _password_of(data: Callable[[Ctx], dict[str, str]]) -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: {"password": data(c)["password"]}


ACTIVATED = becomes(is_active=True, pending_activation=False)
ACTIVATION_TRIES = (
    ("link", EVERYONE, lambda c: _activation(c) | {"password": PASSWORD}),
    ("forged-token", NOBODY, lambda c: _activation(c) | {"token": "forged-matrix-token", "password": PASSWORD}),
    ("wrong-password", NOBODY, lambda c: _activation(c) | {"password": "wrong-matrix-password"}),
)
for _label, _who, _data in ACTIVATION_TRIES:
    add(
        Action(
            "api-activate",
            "post",
            "pending_user",
            {"pending": _who},
            both(ACTIVATED, _token_works("pending-matrix@example.test")) if _who else nothing,
            data=_data,
            label=_label,
            refusal_codes=frozenset({400}),
        )
    )
    add(
        Action(
            "accounts:activate",
            "post",
            "pending_user",
            {"pending": _who},
            ACTIVATED if _who else nothing,
            kwargs=_link_of(_data),
            data=_password_of(_data),
            label=_label,
            refusal_codes=frozenset({400}),
        )
    )


# --- password change --------------------------------------------------------------------------
NEW_PASSWORD = "a-new-matrix-password-42"


def _password_changed(c: Ctx) -> None:
    user = type(c.user).objects.get(pk=c.user.pk)
    assert user.check_password(NEW_PASSWORD), "the password did not change"


def _password_kept(c: Ctx) -> None:
    if c.user is not None:
        user = type(c.user).objects.get(pk=c.user.pk)
        assert user.check_password(PASSWORD), "the password changed"


add(
    stateless(
        "accounts:password_change",
        "post",
        SIGNED_IN,  # everyone changes their own, knowing it
        _password_changed,
        data=lambda c: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        label="own-password",
    )
)
add(
    stateless(
        "accounts:password_change",
        "post",
        NOBODY,
        nothing,
        parties=SIGNED_IN,  # the form answers again with an error
        data=lambda c: {
            "old_password": "wrong-matrix-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        label="wrong-old-password",
        invariant=_password_kept,
    )
)
add(
    stateless(
        "accounts:password_change",
        "put",
        NOBODY,
        nothing,
        parties=SIGNED_IN,  # a PUT carries no form: nothing is changed
        data=lambda c: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        invariant=_password_kept,
    )
)

# --- API tokens -------------------------------------------------------------------------------
add(
    stateless(
        "accounts:tokens",
        "post",
        SIGNED_IN,  # everyone makes tokens for themselves
        creates("accounts.ApiToken", user=caller, name="matrix-new-device"),
        data=lambda c: {"name": "matrix-new-device"},
    )
)
# One token is revoked only by its owner: anyone else's request is not found.
for _route, _method in (("accounts:token_revoke", "post"), ("api-token-revoke", "delete")):
    add(Action(_route, _method, "api_token", {"live": OWNER}, deletes, kwargs=pk()))
# "Revoke all" revokes the caller's own tokens: anyone else's leaves the producer's token alone.
for _route in ("accounts:tokens_revoke_all", "api-tokens-revoke-all"):
    add(Action(_route, "post", "api_token", {"live": OWNER}, deletes, parties=SIGNED_IN))


# --- the producer profile API -----------------------------------------------------------------
def _producer_profile_saved(c: Ctx) -> None:
    from accounts.models import ProducerProfile

    profile = ProducerProfile.objects.get(user=c.user)
    assert (profile.organisation, profile.region) == ("Matrix Farms", "Matrix Valley"), profile


add(
    stateless(
        "api-producer-profile",
        "put",
        PRODUCERS,  # each producer their own
        _producer_profile_saved,
        data=lambda c: {"organisation": "Matrix Farms", "country": "CO", "region": "Matrix Valley"},
    )
)
