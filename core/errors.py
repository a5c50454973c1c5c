"""Domain errors that services raise; views map them to HTTP (409 for Conflict)."""

from __future__ import annotations

from typing import Any


class Conflict(Exception):
    """The action cannot happen because the state changed under the caller (or already did)."""

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.extra = extra or {}
