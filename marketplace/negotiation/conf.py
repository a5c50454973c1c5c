"""Settings of the trading app, each overridable in the project settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

# The marketplace's cut of every order, as a percentage of the total.
MARKETPLACE_FEE_PERCENT: Decimal = Decimal(str(getattr(settings, "MARKETPLACE_FEE_PERCENT", 5)))

# Quality claims: GCA (US) contracts allow 15 days after delivery, ECF (European) contracts 21.
CLAIM_WINDOW_DAYS: int = int(getattr(settings, "CLAIM_WINDOW_DAYS", 15))
CLAIM_WINDOW_DAYS_EUROPE: int = int(getattr(settings, "CLAIM_WINDOW_DAYS_EUROPE", 21))

# A contract is "European" (ECF terms) when the buyer is established in one of these countries:
# the EU member states plus the other ECF countries (EEA, Switzerland, the United Kingdom).
_EUROPE = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO CH GB"
EUROPEAN_COUNTRIES: frozenset[str] = frozenset(getattr(settings, "EUROPEAN_CONTRACT_COUNTRIES", _EUROPE.split()))

# Days a roaster has to send feedback once a sample has arrived.
SAMPLE_FEEDBACK_DAYS: int = int(getattr(settings, "SAMPLE_FEEDBACK_DAYS", 14))
SAMPLE_MIN_GRAMS: int = int(getattr(settings, "SAMPLE_MIN_GRAMS", 50))
SAMPLE_MAX_GRAMS: int = int(getattr(settings, "SAMPLE_MAX_GRAMS", 2000))

# How long an offer stays open when the offerer does not say (days); and the longest allowed.
OFFER_DEFAULT_EXPIRY_DAYS: int = int(getattr(settings, "OFFER_DEFAULT_EXPIRY_DAYS", 7))
OFFER_MAX_EXPIRY_DAYS: int = int(getattr(settings, "OFFER_MAX_EXPIRY_DAYS", 60))

# Shipment documents (bill of lading, phytosanitary certificate…).
SHIPMENT_DOCUMENT_MAX_BYTES: int = int(getattr(settings, "SHIPMENT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))
