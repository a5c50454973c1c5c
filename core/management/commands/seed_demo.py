"""Load demo data: one user per role and, from each app that has a ``demo`` module, its records.

Idempotent: running it again changes nothing that already exists.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

# In dependency order; each module exposes ``seed(stdout) -> None`` and must be idempotent.
DEMO_MODULES = (
    "accounts.demo",
    "lots.demo",
    "cupping.demo",
    "marketplace.pricing.demo",
    "marketplace.negotiation.demo",
    "marketplace.auctions.demo",
    "marketplace.moderation.demo",
    "marketplace.payments.demo",
)


class Command(BaseCommand):
    help = "Load demo users (one per role) and demo lots. Safe to run repeatedly."

    def handle(self, *args: Any, **opts: Any) -> None:
        for name in DEMO_MODULES:
            try:
                spec = importlib.util.find_spec(name)
            except ModuleNotFoundError:
                spec = None
            if spec is None:
                continue
            with transaction.atomic():
                importlib.import_module(name).seed(self.stdout)
        from accounts.demo import DEMO_PASSWORD, DEMO_USERS

        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, role, _name, _profile in DEMO_USERS:
            self.stdout.write(f"  {role:<10} {email}")
