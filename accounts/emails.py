"""E-mails about an account itself: confirming a sign-up, and "someone tried to sign up as you".

Both are sent after the sign-up's transaction commits (``transaction.on_commit``), from the
request, in the language the visitor used. Links are absolute, on ``SITE_URL``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from core.text import email_subject


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for confirmation links: a salt of their own (a reset token is not a confirmation
    token, nor the other way round), and dead once the account is confirmed."""

    key_salt = "accounts.emails.ActivationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}{user.pending_activation}"


activation_token_generator = ActivationTokenGenerator()


def _uid(user: Any) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def activation_url(user: Any) -> str:
    token = activation_token_generator.make_token(user)
    return settings.SITE_URL + reverse("accounts:activate", kwargs={"uidb64": _uid(user), "token": token})


def password_reset_url(user: Any) -> str:
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("accounts:password_reset_confirm", kwargs={"uidb64": _uid(user), "token": token})


def _send(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    send_mail(
        subject=email_subject(subject),
        message=render_to_string(template, context),
        from_email=None,
        recipient_list=[to],
    )


def activation_email_send(*, user_id: int) -> None:
    from accounts.models import User

    user = User.objects.filter(pk=user_id, pending_activation=True).first()
    if user is None:
        return
    _send(
        to=user.email,
        subject=_("Confirm your e-mail address"),
        template="accounts/email/activation.txt",
        context={"user": user, "activate_url": activation_url(user), "site_url": settings.SITE_URL},
    )


def signup_existing_email_send(*, user_id: int) -> None:
    """Tell the owner of an address that someone tried to register it again."""
    from accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    can_reset = user.is_active or user.pending_activation
    _send(
        to=user.email,
        subject=_("Someone tried to sign up with your e-mail address"),
        template="accounts/email/signup_existing.txt",
        context={
            "user": user,
            "pending": user.pending_activation,
            "reset_url": password_reset_url(user) if can_reset else "",
            "login_url": settings.SITE_URL + reverse("accounts:login"),
        },
    )
