from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication


class StrictBasicAuthentication(BasicAuthentication):
    """Basic auth that refuses NUL bytes before they reach the database (enabled in tests only)."""

    def authenticate_credentials(self, userid: str, password: str, request: Any = None) -> Any:
        if "\x00" in userid or "\x00" in password:
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        return super().authenticate_credentials(userid, password, request)
