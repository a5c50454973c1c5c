"""Settings for the fault tests' worker subprocesses: the production settings (PostgreSQL and Redis
from DATABASE_URL / REDIS_URL), plus a few knobs read from the environment so a test can shorten
the broker's visibility timeout, collect e-mails in files and make sweeps run in small batches.
Only the fault tests use this module; the project settings stay as they are."""

import os

from marketplace.settings import *  # noqa: F403
from marketplace.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": int(os.environ.get("FAULT_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_throttle": 1,
}
EMAIL_FILE_PATH = os.environ.get("FAULT_EMAIL_DIR", "")
PRICING_SWEEP_BATCH = int(os.environ.get("FAULT_SWEEP_BATCH", "5000"))
SECURE_SSL_REDIRECT = False
LOG_LEVEL = "INFO"
