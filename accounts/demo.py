"""Demo users, one per role (and a second producer), all with the same password."""

from __future__ import annotations

import datetime
from typing import IO, Any

from django.utils import timezone

from accounts.models import QGraderProfile, Role, User
from accounts.services import user_register

DEMO_PASSWORD = "demo-coffee-2026"
DEMO_USERS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "producer@demo.coffee",
        Role.PRODUCER,
        "Finca La Esperanza",
        {"organisation": "Finca La Esperanza", "country": "CO", "region": "Huila"},
    ),
    (
        "producer2@demo.coffee",
        Role.PRODUCER,
        "Hacienda Ramírez",
        {"organisation": "Hacienda Ramírez", "country": "PA", "region": "Chiriquí"},
    ),
    (
        "roaster@demo.coffee",
        Role.ROASTER,
        "Tostadores del Norte",
        {"company": "Tostadores del Norte", "country": "DE", "competition_alerts": True},
    ),
    (
        "grader@demo.coffee",
        Role.Q_GRADER,
        "Ana Q. Grader",
        {"licence_number": "Q-DEMO-0001", "licence_expires_on": datetime.date(2028, 12, 31), "lab": "Demo Lab"},
    ),
    ("moderator@demo.coffee", Role.MODERATOR, "Moderator", {}),
]


def seed(stdout: IO[str]) -> None:
    for email, role, name, profile in DEMO_USERS:
        if User.objects.filter(email=email).exists():
            continue
        user = user_register(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            display_name=name,
            profile=profile,
            allow_moderator=True,
        )
        if role == Role.MODERATOR:
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
    moderator = User.objects.get(email="moderator@demo.coffee")
    QGraderProfile.objects.filter(user__email="grader@demo.coffee", licence_verified_at__isnull=True).update(
        licence_verified_at=timezone.now(), licence_verified_by=moderator
    )
