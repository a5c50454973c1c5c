"""Reconciliation: a card payment whose webhook was lost and whose buyer never came back to the
return page would stay pending forever; this asks Stripe again. Thin, idempotent, ids only.

It also settles attempts that never got a Stripe id: the attempt is committed before Stripe is
called, so a process that died in between (or a connection that broke) leaves a live attempt
with no intent. Stripe is searched for it by the attempt's metadata and it is attached, or it is
ended as never charged so the buyer may pay again.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from marketplace.payments import conf, providers, services
from marketplace.payments.models import Payment, PaymentAttempt, PaymentStatus

OPEN_ATTEMPTS = list(PaymentAttempt.LIVE)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5, acks_late=True)
def payment_reconcile(payment_id: int) -> str:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return "gone"
    if payment.provider != providers.STRIPE or payment.amount_paid > 0:
        return "already-done"
    provider = providers.get_provider(payment.provider)
    # An attempt younger than this may still have its create call on the way to Stripe.
    settled_before = timezone.now() - datetime.timedelta(minutes=conf.RECONCILE_AFTER_MINUTES)
    for attempt in payment.attempt_rows.filter(status__in=OPEN_ATTEMPTS).order_by("number"):
        try:
            if not attempt.intent_id:
                if attempt.created_at <= settled_before:
                    services.payment_attempt_recover(attempt_id=attempt.pk)
                continue
            result = provider.retrieve_intent(intent_id=attempt.intent_id)
        except providers.ProviderError:
            continue  # Stripe unreachable or the intent unknown: the next sweep tries again.
        services.payment_apply_intent(result=result, attempt_id=attempt.pk, source="reconcile")
    payment.refresh_from_db()
    return str(payment.status)


@shared_task(acks_late=True)
def payments_reconcile_sweep() -> int:
    """Queue a reconcile for card payments pending longer than PAYMENTS_RECONCILE_AFTER_MINUTES."""
    cutoff = timezone.now() - datetime.timedelta(minutes=conf.RECONCILE_AFTER_MINUTES)
    ids = list(
        Payment.objects.filter(provider=providers.STRIPE, status=PaymentStatus.PENDING, updated_at__lt=cutoff)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:200]
    )
    for pk in ids:
        payment_reconcile.delay(pk)
    return len(ids)
