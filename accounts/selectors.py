from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import QGraderProfile, RoasterProfile, Role, User


def qgrader_profiles_for_review() -> QuerySet[QGraderProfile]:
    """Unverified licences first, then by expiry."""
    return QGraderProfile.objects.select_related("user", "licence_verified_by").order_by(
        "licence_verified_at", "licence_expires_on"
    )


def competition_buyers() -> QuerySet[User]:
    return User.objects.filter(role=Role.ROASTER, is_active=True, roaster_profile__competition_alerts=True)


def roaster_profile(user: User) -> RoasterProfile | None:
    return RoasterProfile.objects.filter(user=user).first()
