"""Settings of the payments app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

# Share of an order's total paid up front when the producer asks for a deposit (percent).
DEPOSIT_PERCENT: Decimal = Decimal(str(getattr(settings, "PAYMENTS_DEPOSIT_PERCENT", 30)))

# Shown on the checkout page in offline mode (no Stripe key): where the buyer wires the money.
BANK_TRANSFER_DETAILS: str = getattr(
    settings,
    "PAYMENTS_BANK_TRANSFER_DETAILS",
    "Micro-lot Market Escrow · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX",
)

# Seconds a webhook signature stays valid (Stripe's own default tolerance).
WEBHOOK_TOLERANCE_SECONDS: int = int(getattr(settings, "STRIPE_WEBHOOK_TOLERANCE", 300))

# Network timeout for calls to Stripe, seconds.
STRIPE_TIMEOUT_SECONDS: int = int(getattr(settings, "STRIPE_TIMEOUT_SECONDS", 30))

# A card payment still pending after this many minutes is checked with Stripe by a periodic task
# (in case its webhook was lost and the buyer never reached the return page).
RECONCILE_AFTER_MINUTES: int = int(getattr(settings, "PAYMENTS_RECONCILE_AFTER_MINUTES", 10))
