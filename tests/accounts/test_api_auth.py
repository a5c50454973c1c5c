from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from tests.accounts.test_signup_privacy import activation_link_parts

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ACTIVATE = "/api/v1/auth/activate/"


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        ("producer", {"organisation": "Finca API", "country": "ET"}),
        ("roaster", {"company": "API Roasters", "country": "JP", "competition_alerts": True}),
        ("q_grader", {"licence_number": "Q-API", "licence_expires_on": "2029-05-01"}),
    ],
)
def test_register_in_each_role_then_the_emailed_link_gives_a_working_token(
    role, extra, mailoutbox, django_capture_on_commit_callbacks
):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            REGISTER,
            {"email": f"{role}@api.test", "password": "a-long-coffee-pass", "role": role, **extra},
            format="json",
        )
    assert response.status_code == 202, response.json()
    assert "token" not in response.json()
    user = User.objects.get(email=f"{role}@api.test")
    assert user.role == role and not user.is_active
    uid, token = activation_link_parts(mailoutbox[-1].body)
    activated = client.post(ACTIVATE, {"uid": uid, "token": token, "password": "a-long-coffee-pass"}, format="json")
    assert activated.status_code == 200, activated.json()
    me = APIClient(HTTP_AUTHORIZATION=f"Token {activated.json()['token']}").get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["role"] == role


def test_register_refuses_moderator_with_the_error_shape():
    response = APIClient().post(
        REGISTER, {"email": "m@api.test", "password": "a-long-coffee-pass", "role": "moderator"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "extra"} and "role" in body["extra"]["fields"]
    assert not User.objects.filter(email="m@api.test").exists()


def test_register_reports_missing_profile_fields_and_weak_passwords():
    response = APIClient().post(REGISTER, {"email": "q@api.test", "password": "123", "role": "q_grader"}, format="json")
    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert "licence_number" in fields
    response = APIClient().post(
        REGISTER,
        {"email": "p@api.test", "password": "12345678", "role": "producer", "organisation": "X", "country": "CO"},
        format="json",
    )
    assert response.status_code == 400 and "password" in response.json()["extra"]["fields"]
    assert User.objects.count() == 0


def test_token_for_right_password_and_401_for_wrong(roaster):
    from tests.factories import PASSWORD

    ok = APIClient().post(TOKEN, {"email": roaster.email, "password": PASSWORD}, format="json")
    assert ok.status_code == 200 and ApiToken.objects.get(pk=ok.json()["id"]).user == roaster
    bad = APIClient().post(TOKEN, {"email": roaster.email, "password": "nope"}, format="json")
    assert bad.status_code in (401, 403)
    assert set(bad.json()) == {"message", "extra"}


def test_form_encoded_bodies_are_refused_as_unsupported():
    response = APIClient().post(REGISTER, {"email": "x@api.test"}, format="multipart")
    assert response.status_code == 415


def test_me_requires_authentication():
    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response.json()["message"]


def test_unknown_api_path_is_a_json_404():
    response = APIClient().get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_auth_endpoints_are_throttled(monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    # DRF reads the rates into a class attribute at import; overriding the setting does nothing.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"auth": "3/minute", "bids": "9/minute"})
    try:
        # A new address each time, so the login lockout (django-axes) plays no part.
        codes = [
            APIClient().post(TOKEN, {"email": f"a{n}@b.test", "password": "x"}, format="json").status_code
            for n in range(5)
        ]
    finally:
        cache.clear()
    assert codes[3:] == [429, 429] and 429 not in codes[:3]


def test_schema_and_offline_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/auth/register/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI comes from drf-spectacular-sidecar's static files, not a CDN.
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_a_text_longer_than_its_documented_limit_is_refused_even_if_it_is_only_spaces():
    response = APIClient().post(
        REGISTER,
        {
            "email": "s@api.test",
            "password": "a-long-coffee-pass",
            "role": "roaster",
            "company": " " * 201,
            "country": "DE",
        },
        format="json",
    )
    assert response.status_code == 400 and "company" in response.json()["extra"]["fields"]
