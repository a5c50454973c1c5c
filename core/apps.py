from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        _enforce_max_length_before_trimming()


def _enforce_max_length_before_trimming() -> None:
    """DRF trims whitespace before checking ``max_length``, so 3,000 spaces pass a field the schema
    documents as ``maxLength: 2000``. Every API client sees the schema, so the limit applies to
    what was sent. (One project-wide rule instead of a subclass in every serializer.)"""
    from rest_framework import fields

    if getattr(fields.CharField.run_validation, "_max_length_first", False):
        return
    original = fields.CharField.run_validation

    def run_validation(self: fields.CharField, data: Any = fields.empty) -> Any:
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return original(self, data)

    run_validation._max_length_first = True  # type: ignore[attr-defined]
    fields.CharField.run_validation = run_validation  # type: ignore[method-assign,assignment]
