from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User


class EmailBackend(ModelBackend):
    """Log in by e-mail address, case-insensitively (the form field is still called username)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        email = username or kwargs.get("email")
        if not email or password is None or "\x00" in email:
            return None
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            User().set_password(password)  # same work either way: no timing hint that the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
