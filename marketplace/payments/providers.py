"""Every call to Stripe lives here, behind a small payment-provider interface.

Two providers implement it: ``StripeProvider`` (stripe 16's ``StripeClient``; the API base comes
from ``settings.STRIPE_API_BASE`` so tests can point it at localstripe) and ``OfflineProvider``
(bank transfer; a moderator records the money as received). ``get_provider()`` picks Stripe when
``settings.STRIPE_SECRET_KEY`` is set, offline otherwise.

Amounts cross this boundary as ``Decimal`` + currency and become Stripe's integer minor units only
through ``core.money.to_minor_units`` (never via float). Nothing in this module touches the
database: services call it outside any row lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from core.money import from_minor_units, to_minor_units
from marketplace.payments import conf

STRIPE = "stripe"
OFFLINE = "offline"

# How many of the newest PaymentIntents ``find_intent`` reads when Search cannot answer.
FIND_SCAN_LIMIT = 1000


class IntentStatus:
    """Provider-neutral outcome of a payment attempt."""

    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class IntentResult:
    intent_id: str
    status: str
    amount: Decimal
    currency: str
    amount_received: Decimal = Decimal("0")
    amount_refunded: Decimal = Decimal("0")
    client_secret: str = ""
    error: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: str  # succeeded | pending | failed
    amount: Decimal
    currency: str


class ProviderError(Exception):
    """Stripe refused or could not be reached; ``message`` is safe to show to the user.

    ``uncertain`` means the request may have reached Stripe and done its work (the connection
    broke, or Stripe answered 500): the caller must not treat it as "nothing was charged".
    """

    def __init__(self, message: str, *, declined: bool = False, uncertain: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.declined = declined
        self.uncertain = uncertain


class BadSignature(Exception):
    """A webhook whose signature is missing, wrong or stale."""


class PaymentProvider(Protocol):
    name: str

    def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
        payment_method: str | None,
        description: str,
    ) -> IntentResult: ...

    def retrieve_intent(self, *, intent_id: str) -> IntentResult: ...

    def find_intent(self, *, metadata: dict[str, str]) -> IntentResult | None: ...

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult: ...


# --- Stripe -----------------------------------------------------------------------------------


def _get(obj: Any, key: str, default: Any = None) -> Any:
    # stripe 16 objects are not dicts (``.get`` raises); plain dicts come from webhook payloads.
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    try:
        return obj[key]
    except (KeyError, AttributeError):
        return default


def intent_from_payload(data: Any) -> IntentResult:
    """A PaymentIntent (SDK object or webhook dict) as a provider-neutral result."""
    currency = str(_get(data, "currency", "usd")).upper()
    amount_minor = int(_get(data, "amount", 0) or 0)
    status = str(_get(data, "status", ""))
    received_minor = _get(data, "amount_received")
    if received_minor is None:
        # localstripe (API shape of 2017) has no amount_received: a succeeded intent got it all.
        received_minor = amount_minor if status == IntentStatus.SUCCEEDED else 0
    charge = _get(data, "latest_charge")
    refunded_minor = int(_get(charge, "amount_refunded", 0) or 0) if not isinstance(charge, str) else 0
    error = _get(data, "last_payment_error")
    message = str(_get(error, "message", "") or "") if error else ""
    if status == IntentStatus.REQUIRES_PAYMENT_METHOD and error:
        status = IntentStatus.FAILED
    elif status in {"requires_confirmation", "requires_capture"}:
        status = IntentStatus.PROCESSING
    metadata = _get(data, "metadata") or {}
    if not isinstance(metadata, dict):
        metadata = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
    return IntentResult(
        intent_id=str(_get(data, "id", "")),
        status=status,
        amount=from_minor_units(amount_minor, currency),
        currency=currency,
        amount_received=from_minor_units(int(received_minor), currency),
        amount_refunded=from_minor_units(refunded_minor, currency),
        client_secret=str(_get(data, "client_secret", "") or ""),
        error=message,
        metadata={str(k): str(v) for k, v in metadata.items()},
    )


def charge_refund_total(data: dict[str, Any]) -> tuple[str, Decimal, Decimal, str]:
    """(payment intent id, amount captured, cumulative amount refunded, currency) of a Charge."""
    currency = str(data.get("currency", "usd")).upper()
    captured = data.get("amount_captured")
    if captured is None:
        captured = data.get("amount", 0) if data.get("paid", True) else 0
    return (
        str(data.get("payment_intent") or ""),
        from_minor_units(int(captured or 0), currency),
        from_minor_units(int(data.get("amount_refunded", 0) or 0), currency),
        currency,
    )


def _search_quote(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("'", "\\'")


class StripeProvider:
    name = STRIPE

    def __init__(self, secret_key: str, api_base: str = "") -> None:
        kwargs: dict[str, Any] = {"max_network_retries": 2}
        if api_base:
            kwargs["base_addresses"] = {"api": api_base}
        self.client = stripe.StripeClient(secret_key, **kwargs)

    def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
        payment_method: str | None,
        description: str,
    ) -> IntentResult:
        params: dict[str, Any] = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "metadata": metadata,
            # Cards only: on current API versions automatic payment methods are the default, and a
            # server-side confirm would then demand a return_url for redirect-based methods.
            "payment_method_types": ["card"],
        }
        if payment_method:
            # Server-side confirmation: Stripe.js only tokenises the card; this call charges it.
            params["payment_method"] = payment_method
            params["confirm"] = True
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            raise ProviderError(
                exc.user_message or str(exc.error.message if exc.error else exc), declined=True
            ) from exc
        except (stripe.APIConnectionError, stripe.APIError) as exc:
            # No answer, or Stripe's own 500: the intent may exist and the card may be charged.
            raise ProviderError(
                _("The payment service did not answer. We are checking whether the card was charged."),
                uncertain=True,
            ) from exc
        except stripe.StripeError as exc:
            raise ProviderError(exc.user_message or _("The payment service is not available. Try again.")) from exc
        return intent_from_payload(intent)

    def retrieve_intent(self, *, intent_id: str) -> IntentResult:
        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise ProviderError(exc.user_message or _("The payment service is not available. Try again.")) from exc
        return intent_from_payload(intent)

    def find_intent(self, *, metadata: dict[str, str]) -> IntentResult | None:
        """The PaymentIntent whose metadata carries all of ``metadata``, if Stripe has one.

        For an attempt whose create call left no answer (the process died, or the connection
        broke): Search first (exact, but Stripe indexes with up to a minute's delay, and
        localstripe lacks it), then the newest intents of the list, which is always current.
        """

        def matches(intent: Any) -> bool:
            found = intent_from_payload(intent).metadata
            return all(found.get(k) == v for k, v in metadata.items())

        # Search query language: quotes inside a value are escaped with a backslash.
        query = " AND ".join(f"metadata['{k}']:'{_search_quote(v)}'" for k, v in metadata.items())
        try:
            hits = self.client.v1.payment_intents.search(params={"query": query, "limit": 10})
            for intent in hits.data:
                if matches(intent):
                    return intent_from_payload(intent)
        except stripe.InvalidRequestError:
            pass  # no Search here (localstripe, some regions): the list below still finds it
        except stripe.StripeError as exc:
            raise ProviderError(_("The payment service is not available. Try again."), uncertain=True) from exc
        try:
            page = self.client.v1.payment_intents.list(params={"limit": 100})
            for n, intent in enumerate(page.auto_paging_iter()):
                if n >= FIND_SCAN_LIMIT:
                    break
                if matches(intent):
                    return intent_from_payload(intent)
        except stripe.StripeError as exc:
            raise ProviderError(_("The payment service is not available. Try again."), uncertain=True) from exc
        return None

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": to_minor_units(amount, currency)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(exc.user_message or _("The refund was refused by the payment service.")) from exc
        cur = str(_get(refund, "currency", currency)).upper()
        return RefundResult(
            refund_id=str(_get(refund, "id")),
            status=str(_get(refund, "status", "succeeded")),
            amount=from_minor_units(int(_get(refund, "amount", 0)), cur),
            currency=cur,
        )


# --- Offline (bank transfer) ------------------------------------------------------------------


class OfflineProvider:
    """No card network: the buyer wires the money and a moderator records it as received."""

    name = OFFLINE

    def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
        payment_method: str | None,
        description: str,
    ) -> IntentResult:
        # The transfer reference doubles as the intent id; derived from the key, so a retry
        # yields the same reference, as Stripe's idempotency would.
        return IntentResult(
            intent_id=f"offline_{idempotency_key}",
            status=IntentStatus.REQUIRES_ACTION,
            amount=amount,
            currency=currency,
            metadata=metadata,
        )

    def retrieve_intent(self, *, intent_id: str) -> IntentResult:
        raise ProviderError(_("Bank transfers are confirmed by a moderator, not by the payment service."))

    def find_intent(self, *, metadata: dict[str, str]) -> IntentResult | None:
        return None

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        # The moderator sends the money back by bank transfer; we record that it was done.
        return RefundResult(
            refund_id=f"offline_{idempotency_key}", status="succeeded", amount=amount, currency=currency
        )


def stripe_enabled() -> bool:
    return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider for new payments (or for an existing payment's ``provider`` name)."""
    name = name or (STRIPE if stripe_enabled() else OFFLINE)
    if name == STRIPE:
        return StripeProvider(settings.STRIPE_SECRET_KEY, getattr(settings, "STRIPE_API_BASE", ""))
    return OfflineProvider()


def publishable_key() -> str:
    return str(getattr(settings, "STRIPE_PUBLISHABLE_KEY", "") or "")


def verify_webhook(payload: bytes, signature: str) -> dict[str, Any]:
    """Check the ``Stripe-Signature`` header against STRIPE_WEBHOOK_SECRET; return the event.

    Runs before anything else looks at the body: a missing secret, a tampered body, a wrong
    secret or a timestamp outside the tolerance all raise ``BadSignature``.
    """
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret or not signature:
        raise BadSignature("missing secret or signature")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, tolerance=conf.WEBHOOK_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise BadSignature(str(exc)) from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadSignature("body is not JSON") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignature("not an event")
    return event
