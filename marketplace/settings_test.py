"""Test settings: the real settings, made fast and deterministic.

DATABASE_URL / REDIS_URL select PostgreSQL / Redis as in production; without them SQLite and
local memory. Tests that need a service mark themselves and are skipped without it, except under
CI=true, where a missing service fails the run (tests/conftest.py).
"""

import os

os.environ.setdefault("DEBUG", "true")

from .settings import *
from .settings import REST_FRAMEWORK, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests that need a broker start their own worker on Redis DB 14 (results on 15); the rest call
# task functions directly. Nothing runs eagerly: eager mode hides on-commit and serialization bugs.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # Strict Basic auth only in tests, for the schema fuzzer's authenticated runs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "core.authentication.StrictBasicAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": "1000/minute", "bids": "100000/minute"},
}
STRIPE_SECRET_KEY = ""
STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
