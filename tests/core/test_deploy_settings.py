"""Production settings: deploy checks pass, secrets are required, CSP forbids inline scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "-production-like-secret-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "market.example",
    "DJANGO_SETTINGS_MODULE": "marketplace.settings",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_like_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_site_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {**PROD_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_site_refuses_a_short_secret_key_in_production():
    result = manage("check", env={**PROD_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_no_model_change_is_missing_a_migration():
    result = manage(
        "makemigrations", "--check", "--dry-run", env={"DJANGO_SETTINGS_MODULE": "marketplace.settings_test"}
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_csp_header_has_a_nonce_and_no_unsafe_inline_scripts(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src
    # The bundled htmx script carries that nonce.
    nonce = script_src.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()


@pytest.mark.django_db
def test_security_headers_on_pages(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_error_pages_are_friendly_html_and_json_under_the_api(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and b"Not found" in page.content
    api = client.get("/api/v1/no-such-endpoint/")
    assert api.status_code == 404 and api.json() == {"message": "Not found.", "extra": {}}


@pytest.mark.django_db
def test_healthz_reports_the_database_reachable(client):
    assert client.get("/healthz/").json() == {"ok": True}
