from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role
from accounts.services import user_register


class Command(BaseCommand):
    help = "Create a user in any role (the only way besides the admin to make a moderator)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--name", default="")
        parser.add_argument("--staff", action="store_true", help="Also allow the Django admin.")

    def handle(self, *args: Any, **opts: Any) -> None:
        role = opts["role"]
        profile: dict[str, Any] = {
            Role.PRODUCER: {"organisation": opts["name"] or opts["email"], "country": ""},
            Role.ROASTER: {"company": opts["name"] or opts["email"], "country": ""},
            Role.Q_GRADER: {
                "licence_number": "PENDING",
                "licence_expires_on": datetime.date.today() + datetime.timedelta(days=365),
            },
        }.get(role, {})
        try:
            user = user_register(
                email=opts["email"],
                password=opts["password"],
                role=role,
                display_name=opts["name"],
                profile=profile,
                allow_moderator=True,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        if opts["staff"] or role == Role.MODERATOR:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        self.stdout.write(self.style.SUCCESS(f"Created {role} {user.email}"))
