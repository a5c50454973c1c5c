"""Production-safe by default: DEBUG is off unless set, and no error report shows a URL's password.

Issue 13, "Debug by default".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter, get_exception_reporter_class

from core.debug import mask_url_passwords

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "DATABASE_URL": "postgres://market:pg-S3cret-pw@db.internal:5432/market",
    "REDIS_URL": "redis://:redis-S3cret-pw@cache.internal:6379/0",
    "CELERY_BROKER_URL": "redis://worker:broker-S3cret-pw@cache.internal:6379/1",
    "SENTRY_ENDPOINT": "https://public:sentry-S3cret-pw@sentry.example/4",
}
CACHE_LOCATION = "redis://default:cache-S3cret-pw@cache.internal:6379/2"
REPLICA = {"ENGINE": "x", "HOST": "db.internal", "PASSWORD": "db-S3cret-pw"}
# (The report quotes source lines around each frame: keep secret literals away from _report.)
PASSWORDS = [
    "pg-S3cret-pw",
    "redis-S3cret-pw",
    "broker-S3cret-pw",
    "sentry-S3cret-pw",
    "cache-S3cret-pw",
    "db-S3cret-pw",
]


@pytest.fixture
def secret_settings(settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_LOCATION,
        },
    }
    # Shaped like DATABASES (the real one is left alone: the tests' connection uses it).
    settings.REPLICA_DATABASES = {"default": REPLICA}
    return settings


def _report(reporter_class: type[ExceptionReporter], *, is_email: bool = False, message: str = "") -> tuple[str, str]:
    url = SECRETS["DATABASE_URL"]  # noqa: F841 — a frame variable the report lists
    try:
        raise ConnectionError(message or "could not connect")
    except ConnectionError:
        reporter = reporter_class(None, *sys.exc_info(), is_email=is_email)
        return reporter.get_traceback_text(), reporter.get_traceback_html()


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("is_email", [False, True])
def test_the_technical_500_report_lists_settings_and_variables_without_any_password(secret_settings, debug, is_email):
    """Django's own ExceptionReporter, with the project's DEFAULT_EXCEPTION_REPORTER_FILTER."""
    secret_settings.DEBUG = debug
    text, html = _report(ExceptionReporter, is_email=is_email)
    for report in (text, html):
        assert [pw for pw in PASSWORDS if pw in report] == []
    # Masked, not dropped: the report still says which settings and hosts were involved.
    assert "DATABASE_URL" in text and "REPLICA_DATABASES" in text and "db.internal" in text


@pytest.mark.parametrize("debug", [True, False])
def test_the_configured_reporter_also_masks_a_password_in_the_exception_message(secret_settings, debug):
    """Every report (the DEBUG page, the e-mail to admins) is made by DEFAULT_EXCEPTION_REPORTER."""
    secret_settings.DEBUG = debug
    reporter_class = get_exception_reporter_class(None)
    text, html = _report(reporter_class, message=f"could not connect to {SECRETS['REDIS_URL']}")
    for report in (text, html):
        assert [pw for pw in PASSWORDS if pw in report] == []
    assert "could not connect to redis://:********************@cache.internal:6379/0" in text


@pytest.mark.urls("tests.core.urls_boom")
def test_the_debug_error_page_of_a_failing_request_shows_no_password(secret_settings):
    from tests.core.urls_boom import SECRET_URL

    secret_settings.DEBUG = True
    client = Client(raise_request_exception=False)
    # Under runserver the request's META carries the whole process environment.
    response = client.get("/boom/", DATABASE_URL=SECRETS["DATABASE_URL"], HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    page = response.content.decode()
    assert "RuntimeError" in page  # it is the technical page
    assert SECRET_URL.split(":")[2].split("@")[0] not in page
    assert not [pw for pw in PASSWORDS if pw in page]


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("postgres://u:p@h/db", "postgres://u:********************@h/db"),
        ("redis://:p@h:6379/0", "redis://:********************@h:6379/0"),
        ("postgres://u:p@ss@h/db", "postgres://u:********************@h/db"),  # an unencoded "@"
        ("rediss://u:p%40ss@h", "rediss://u:********************@h"),
        ("sqla+postgresql+psycopg://u:p@h/q?x=1", "sqla+postgresql+psycopg://u:********************@h/q?x=1"),
        ("postgres://u@h/db and http://h:8000/x", "postgres://u@h/db and http://h:8000/x"),  # nothing secret
    ],
)
def test_urls_keep_everything_but_the_password(raw, masked):
    assert mask_url_passwords(raw) == masked


def _settings_in_a_fresh_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "marketplace.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_is_off_unless_it_is_asked_for():
    real_key = {"SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "market.example"}
    assert _settings_in_a_fresh_process(real_key).stdout.split()[-1] == "False"
    assert _settings_in_a_fresh_process({**real_key, "DEBUG": "1"}).stdout.split()[-1] == "True"
    # And without DEBUG there is no development key to fall back on: the site will not start.
    bare = _settings_in_a_fresh_process({})
    assert bare.returncode != 0 and "SECRET_KEY must be set" in bare.stderr


def test_make_run_and_the_dev_runner_turn_debug_on():
    makefile = (ROOT / "Makefile").read_text()
    assert "run migrate seed worker beat messages: export DEBUG ?= 1" in makefile
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "-", "run"],
        input=makefile.split("\n.PHONY", 1)[0] + "\nrun migrate seed worker beat messages: export DEBUG ?= 1\n"
        "run: migrate\n\t@echo run=$$DEBUG\nmigrate:\n\t@echo migrate=$$DEBUG\n",
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DEBUG"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["migrate=1", "run=1"], result.stderr
    assert 'os.environ.setdefault("DEBUG", "1")' in (ROOT / "tools" / "run_dev.py").read_text()
