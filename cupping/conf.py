"""Cupping settings, each overridable in the project settings."""

from __future__ import annotations

from django.conf import settings


def import_max_bytes() -> int:
    return int(getattr(settings, "CUPPING_IMPORT_MAX_BYTES", 1024 * 1024))


def import_max_rows() -> int:
    return int(getattr(settings, "CUPPING_IMPORT_MAX_ROWS", 2000))


def import_progress_every() -> int:
    """Report progress every N rows: often enough for the bar, rarely enough not to flood the DB."""
    return int(getattr(settings, "CUPPING_IMPORT_PROGRESS_EVERY", 10))


def import_preview_hours() -> int:
    """How long an import preview waits for the grader's confirmation before it expires."""
    return int(getattr(settings, "CUPPING_IMPORT_PREVIEW_HOURS", 24))


def import_stuck_minutes() -> int:
    """A running import with no progress for this long lost its worker: the sweep re-runs it."""
    return int(getattr(settings, "CUPPING_IMPORT_STUCK_MINUTES", 15))
