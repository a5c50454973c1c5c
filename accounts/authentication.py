"""API token authentication: django-rest-knox, plus when each token was last used."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from accounts.models import ApiToken

# knox tokens are AUTH_TOKEN_CHARACTER_LENGTH (64) hex characters. Anything else is refused before
# it reaches the database: a NUL byte in a query parameter is a 500 on PostgreSQL, and a header
# that is not UTF-8 would make knox's decode() raise.
_TOKEN = re.compile(rb"\A[0-9a-f]{64}\Z")
# Recording every request would turn each API read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: refused once expired, revoked or the password changed."""

    def authenticate_credentials(self, token: bytes) -> Any:
        if not _TOKEN.match(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def validate_user(self, auth_token: ApiToken) -> Any:
        user, auth_token = super().validate_user(auth_token)
        now = timezone.now()
        if auth_token.last_used_at is None or now - auth_token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=auth_token.pk).update(last_used_at=now)
            auth_token.last_used_at = now
        return user, auth_token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from POST /api/v1/auth/token/ (expires; revocable).",
        }
