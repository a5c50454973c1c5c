"""Error reports that never show a secret, wherever it hides.

Django's ``SafeExceptionReporterFilter`` hides settings by *name* (``...PASS...``, ``...KEY...``),
but a connection URL carries its password inside the *value*: ``DATABASE_URL``, ``REDIS_URL``,
``CELERY_BROKER_URL`` and the cache ``LOCATION`` are all ``scheme://user:password@host``. The
technical 500 page (``DEBUG`` on) and the report mailed to admins (``DEBUG`` off) list every
setting, the request's META (under runserver that is the whole process environment) and each
frame's local variables, so the password would be shown in several places.

Here the filter hides those settings by name as well, and masks the password part of any URL in
any string it cleanses; the reporter then masks whatever is left in the rendered text (the
exception message or a ``repr`` of some object can contain a URL too).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "********************"

# scheme://user:password@host — the password runs to the last "@" before the path, query or
# fragment (urllib splits the same way), so an unencoded "@" in a password is still covered.
# Over-masking a little (e.g. up to a later "@" inside the same token) is harmless.
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*):(?P<password>[^\s/?#]+)@")


def mask_url_passwords(text: str) -> str:
    """``postgres://app:s3cret@db/market`` → ``postgres://app:********************@db/market``."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group('head')}:{MASK}@", text)


def _mask_values(value: Any) -> Any:
    if isinstance(value, str):
        return mask_url_passwords(value)
    if isinstance(value, dict):
        return {k: _mask_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_values(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_mask_values(v) for v in value)
    return value


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """``DEFAULT_EXCEPTION_REPORTER_FILTER``: hides connection settings and URL passwords."""

    cleansed_substitute = MASK
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE"
        # Connection settings whose value is a URL with credentials.
        "|DATABASE_URL|REDIS_URL|BROKER_URL|RESULT_BACKEND|LOCATION|DSN",
        flags=re.I,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        return _mask_values(super().cleanse_setting(key, value))

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        # Locals such as a ``url`` built from DATABASE_URL; masked in DEBUG too (the page shows them).
        return [(name, _mask_values(value)) for name, value in super().get_traceback_frame_variables(request, tb_frame)]


class SecretsExceptionReporter(ExceptionReporter):
    """``DEFAULT_EXCEPTION_REPORTER``: a last pass over the rendered report (HTML and text).

    Covers what the filter cannot see: the exception message and the ``repr`` of objects that
    hold a URL. Used for the technical 500 page and for the e-mail to admins alike.
    """

    # Still safe strings: the masking only swaps a password for asterisks.
    def get_traceback_html(self) -> SafeString:
        return mark_safe(mask_url_passwords(super().get_traceback_html()))

    def get_traceback_text(self) -> SafeString:
        return mark_safe(mask_url_passwords(super().get_traceback_text()))
