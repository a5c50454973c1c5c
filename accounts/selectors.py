from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode

from accounts.models import ApiToken, QGraderProfile, RoasterProfile, Role, User


def qgrader_profiles_for_review() -> QuerySet[QGraderProfile]:
    """Unverified licences first, then by expiry."""
    return QGraderProfile.objects.select_related("user", "licence_verified_by").order_by(
        "licence_verified_at", "licence_expires_on"
    )


def competition_buyers() -> QuerySet[User]:
    return User.objects.filter(role=Role.ROASTER, is_active=True, roaster_profile__competition_alerts=True)


def roaster_profile(user: User) -> RoasterProfile | None:
    return RoasterProfile.objects.filter(user=user).first()


def api_tokens_for(user: User) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first (expired ones are refused and purged)."""
    now = timezone.now()
    return (
        ApiToken.objects.filter(user=user)
        .filter(Q(expiry__gt=now) | Q(expiry__isnull=True))
        .order_by("-created", "-id")
    )


def user_from_uidb64(uidb64: str) -> User | None:
    """The user an e-mailed link names (``uid`` as Django's password reset encodes it), or None."""
    try:
        raw = urlsafe_base64_decode(uidb64).decode()
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return User.objects.filter(pk=int(raw)).first()
