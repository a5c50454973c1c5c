"""API tokens expire, die with a password change or reset, and their owner can see and revoke them.

Issue 13, "Tokens outlive a password reset". Tokens are django-rest-knox tokens (hashed at rest).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from core.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
ME = "/api/v1/me/"
ROOT = Path(__file__).resolve().parents[2]


def log_in(user: Any, name: str = "laptop") -> dict[str, Any]:
    response = APIClient().post(LOGIN, {"email": user.email, "password": PASSWORD, "name": name}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def as_token(token: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_from_login_works_and_is_stored_only_as_a_digest(roaster):
    issued = log_in(roaster)
    assert as_token(issued["token"]).get(ME).json()["email"] == roaster.email
    row = ApiToken.objects.get(pk=issued["id"])
    assert row.user == roaster and row.name == "laptop"
    assert issued["token"] not in {row.digest, row.token_key} and len(row.digest) == 128
    assert issued["expiry"] and issued["prefix"] == issued["token"][: len(issued["prefix"])]


def test_every_login_is_a_separate_token_for_its_device(roaster):
    first, second = log_in(roaster, "laptop"), log_in(roaster, "script")
    assert first["token"] != second["token"]
    assert as_token(first["token"]).get(ME).status_code == 200
    assert as_token(second["token"]).get(ME).status_code == 200


def test_a_token_expires_after_the_configured_lifetime(roaster, settings):
    issued = log_in(roaster)
    row = ApiToken.objects.get(pk=issued["id"])
    assert row.expiry - row.created == pytest.approx(
        datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS), abs=datetime.timedelta(seconds=5)
    )
    # The clock is the token's own expiry: move it into the past instead of waiting.
    ApiToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = as_token(issued["token"]).get(ME)
    assert response.status_code == 401 and set(response.json()) == {"message", "extra"}
    assert not ApiToken.objects.filter(pk=row.pk).exists()  # knox deletes it on sight


def test_the_token_lifetime_comes_from_the_environment():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings_test", "API_TOKEN_TTL_HOURS": "3"}
    code = "import django; django.setup(); from knox.settings import knox_settings; print(knox_settings.TOKEN_TTL)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "3:00:00"


def test_a_password_change_on_the_page_revokes_every_token(roaster, roaster_client):
    tokens = [log_in(roaster, "laptop")["token"], log_in(roaster, "script")["token"]]
    response = roaster_client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "a-new-coffee-pass-42", "new_password2": "a-new-coffee-pass-42"},
    )
    assert response.status_code == 302
    assert [as_token(t).get(ME).status_code for t in tokens] == [401, 401]
    assert not ApiToken.objects.filter(user=roaster).exists()
    event = AuditEvent.objects.get(action="api_token.revoked_all")
    assert event.data == {"count": 2, "reason": "password_changed"}


def test_a_password_reset_by_e_mail_revokes_every_token(roaster, client, mailoutbox):
    token = log_in(roaster)["token"]
    client.post(reverse("accounts:password_reset"), {"email": roaster.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line)
    form_page = client.get(link[link.index("/accounts/reset/") :], follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-coffee-pass", "new_password2": "brand-new-coffee-pass"},
    )
    assert response.status_code == 302
    assert as_token(token).get(ME).status_code == 401


def test_a_password_set_in_the_admin_revokes_the_users_tokens(roaster, moderator):
    from django.test import Client

    moderator.is_staff = moderator.is_superuser = True
    moderator.save(update_fields=["is_staff", "is_superuser"])
    token = log_in(roaster)["token"]
    admin = Client()
    admin.force_login(moderator, backend="accounts.backends.EmailBackend")
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[roaster.pk]),
        {"password1": "admin-chosen-coffee-pass", "password2": "admin-chosen-coffee-pass"},
    )
    assert response.status_code == 302
    assert as_token(token).get(ME).status_code == 401


def test_a_login_that_only_rehashes_the_password_keeps_the_tokens(roaster, settings):
    """A hash upgrade is not a password change: the user's devices stay logged in."""
    token = log_in(roaster)["token"]
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    log_in(roaster, "second device")  # the MD5 hash is upgraded to PBKDF2 here
    roaster.refresh_from_db()
    assert roaster.password.startswith("pbkdf2_")
    assert as_token(token).get(ME).status_code == 200


def test_the_owner_revokes_one_token_and_only_that_one_stops_working(roaster):
    keep, drop = log_in(roaster, "keep"), log_in(roaster, "drop")
    client = as_token(keep["token"])
    assert client.delete(f"{TOKENS}{drop['id']}/").status_code == 204
    assert as_token(drop["token"]).get(ME).status_code == 401
    assert client.get(ME).status_code == 200


def test_revoke_all_logs_out_every_device_including_this_one(roaster):
    first, second = log_in(roaster), log_in(roaster)
    response = as_token(first["token"]).post(f"{TOKENS}revoke-all/")
    assert response.status_code == 200 and response.json() == {"revoked": 2}
    assert as_token(first["token"]).get(ME).status_code == 401
    assert as_token(second["token"]).get(ME).status_code == 401


def test_another_user_can_neither_see_nor_revoke_my_token(roaster, outsider):
    mine = log_in(roaster)
    theirs = as_token(log_in(outsider)["token"])
    assert mine["id"] not in [t["id"] for t in theirs.get(TOKENS).json()["results"]]
    assert theirs.delete(f"{TOKENS}{mine['id']}/").status_code == 404
    assert as_token(mine["token"]).get(ME).status_code == 200
    theirs.post(f"{TOKENS}revoke-all/")
    assert as_token(mine["token"]).get(ME).status_code == 200


def test_the_token_list_shows_created_expiry_and_last_use_but_never_the_token(roaster):
    issued = log_in(roaster, "roastery laptop")
    client = as_token(issued["token"])
    client.get(ME)
    listed = client.get(TOKENS).json()["results"]
    assert [t["name"] for t in listed] == ["roastery laptop"]
    entry = listed[0]
    assert set(entry) == {"id", "name", "prefix", "created", "expiry", "last_used_at"}
    assert entry["last_used_at"] is not None and issued["token"] not in str(listed)


def test_expired_tokens_are_not_listed(roaster):
    live, dead = log_in(roaster, "live"), log_in(roaster, "dead")
    ApiToken.objects.filter(pk=dead["id"]).update(expiry=timezone.now() - datetime.timedelta(minutes=1))
    assert [t["name"] for t in as_token(live["token"]).get(TOKENS).json()["results"]] == ["live"]


def test_a_user_cannot_pile_up_tokens_past_the_limit(roaster, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    log_in(roaster)
    log_in(roaster)
    response = APIClient().post(LOGIN, {"email": roaster.email, "password": PASSWORD}, format="json")
    assert response.status_code == 400 and "Revoke one" in str(response.json())
    assert ApiToken.objects.filter(user=roaster).count() == 2


@pytest.mark.parametrize(
    "header",
    [b"Token abc", b"Token " + b"a" * 63 + b"\x00", b"Token \xff\xfe" + b"a" * 62, b"Token " + b"A" * 64],
)
def test_malformed_tokens_are_a_401_never_a_500(roaster, header):
    response = APIClient(HTTP_AUTHORIZATION=header.decode("latin-1")).get(ME)
    assert response.status_code == 401


def test_tokens_page_lists_my_tokens_and_revokes_them(roaster, roaster_client, outsider):
    issued = log_in(roaster, "roastery laptop")
    theirs = log_in(outsider, "outsider phone")
    page = roaster_client.get(reverse("accounts:tokens"))
    html = page.content.decode()
    assert page.status_code == 200 and "roastery laptop" in html and "outsider phone" not in html
    assert issued["token"] not in html and f'id="token-{issued["id"]}"' in html
    response = roaster_client.post(reverse("accounts:token_revoke", args=[issued["id"]]))
    assert response.status_code == 302
    assert as_token(issued["token"]).get(ME).status_code == 401
    # Another user's token id is simply not found, and keeps working.
    assert roaster_client.post(reverse("accounts:token_revoke", args=[theirs["id"]])).status_code == 404
    assert as_token(theirs["token"]).get(ME).status_code == 200


def test_tokens_page_creates_a_token_shown_once(roaster, roaster_client):
    response = roaster_client.post(reverse("accounts:tokens"), {"name": "cupping lab script"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    row = ApiToken.objects.get(user=roaster)
    html = response.content.decode()
    plain = html.split('id="issued-token"')[1].split("<code>")[1].split("</code>")[0]
    assert as_token(plain).get(ME).json()["email"] == roaster.email
    assert plain not in roaster_client.get(reverse("accounts:tokens")).content.decode()
    assert row.name == "cupping lab script"


def test_tokens_page_revoke_all(roaster, roaster_client):
    tokens = [log_in(roaster)["token"] for _ in range(3)]
    roaster_client.post(reverse("accounts:tokens_revoke_all"))
    assert [as_token(t).get(ME).status_code for t in tokens] == [401, 401, 401]


def test_the_tokens_page_needs_a_login(anon_client):
    assert anon_client.get(reverse("accounts:tokens")).status_code == 302
