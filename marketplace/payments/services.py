"""Writes of the payments app. The payment status changes only here, under a row lock on the
payment, with an audit event per change.

The return page, the webhook and a moderator's "received" all end in ``payment_apply_intent`` /
``payment_apply_charge``, which are idempotent and monotonic (paid and refunded amounts only
grow; a failure never undoes a success), so events arriving twice, late or out of order leave the
payment in the same state. Calls to the provider happen outside any lock and any
transaction: the attempt is committed first, its answer recorded in a second transaction.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.money import exponent, quantize_money
from core.services import audit_log, notify
from marketplace.payments import payables, providers
from marketplace.payments.models import (
    BankTransfer,
    LotPaymentTerms,
    Payment,
    PaymentAttempt,
    PaymentKind,
    PaymentMode,
    PaymentStatus,
    PayoutEntry,
    ProcessedEvent,
    Refund,
    SubjectKind,
)
from marketplace.payments.providers import IntentResult, IntentStatus, ProviderError

log = logging.getLogger(__name__)

ZERO = Decimal("0")


def _is_moderator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_moderator", False))


def _derive_status(payment: Payment, fallback: str) -> str:
    if payment.amount_paid > 0:
        if payment.amount_refunded >= payment.amount_paid:
            return PaymentStatus.REFUNDED
        if payment.amount_paid < payment.amount:
            return PaymentStatus.PARTIALLY_PAID
        if payment.amount_refunded > 0:
            return PaymentStatus.PARTIALLY_REFUNDED
        return PaymentStatus.PAID
    return fallback


def _ledger(*, payment: Payment, kind: str, amount: Decimal, key: str, memo: str) -> None:
    """Append a payout ledger entry once per ``key`` (the caller holds the payment lock)."""
    amount = quantize_money(amount, payment.currency)
    if amount <= 0 or PayoutEntry.objects.filter(dedupe_key=key).exists():
        return
    PayoutEntry.objects.create(
        producer_id=payment.payee_id,
        payment=payment,
        kind=kind,
        amount=amount,
        currency=payment.currency,
        memo=memo[:300],
        dedupe_key=key,
    )


def _producer_share(payment: Payment, paid: Decimal) -> Decimal:
    """The producer's part of ``paid`` (of the payment's amount), rounded once."""
    return quantize_money(payment.producer_amount * paid / payment.amount, payment.currency)


def _idempotency_key(payment: Payment, what: str, number: int) -> str:
    # Derived from the order / sample request and the attempt, never random: a retried request
    # for the same attempt reuses the key, so Stripe returns the first result instead of charging twice.
    return f"{payment.subject_kind}-{payment.subject_id}-{payment.kind}-{what}-{number}"


# --- Opening a payment ------------------------------------------------------------------------


def payment_open(*, by: Any, subject_kind: str, subject_id: int, kind: str | None = None) -> Payment:
    """The payment the buyer owes on an order or a sample request, created on first use."""
    if not getattr(by, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to pay."))
    model = payables.order_model() if subject_kind == SubjectKind.ORDER else payables.sample_model()
    try:
        subject = payables.get_subject(subject_kind, subject_id)
    except model.DoesNotExist as exc:
        raise ValidationError({"subject_id": [_("There is no such order or sample request.")]}) from exc
    if subject_kind == SubjectKind.ORDER:
        # The first payment on an order is whichever of full / deposit exists already, else what
        # the lot's terms ask now; so a change of terms cannot open a second up-front payment.
        upfront = (
            Payment.objects.filter(
                subject_kind=subject_kind, subject_id=subject_id, kind__in=[PaymentKind.FULL, PaymentKind.DEPOSIT]
            )
            .order_by("pk")
            .first()
        )
        expected = upfront.kind if upfront else payables.order_due(subject).kind
        if kind in (None, expected):
            kind = expected
        elif kind == PaymentKind.BALANCE:
            if expected != PaymentKind.DEPOSIT or upfront is None or not upfront.is_settled:
                raise Conflict(_("The balance is due once the deposit is paid."))
        else:
            raise ValidationError(
                {
                    "kind": [
                        _("This order is paid as the producer chose: %(kind)s.") % {"kind": PaymentKind(expected).label}
                    ]
                }
            )
        opened = (upfront.amount, upfront.fee_amount) if upfront and upfront.kind == PaymentKind.DEPOSIT else None
        due = payables.order_due(subject, kind, deposit=opened)
    else:
        if kind not in (None, PaymentKind.SAMPLE_FEE):
            raise ValidationError({"kind": [_("A sample request only has a sample fee.")]})
        due = payables.sample_due(subject)
    if due.payer.pk != by.pk:
        raise PermissionDenied(_("Only the buyer pays."))
    existing = Payment.objects.filter(subject_kind=subject_kind, subject_id=subject_id, kind=due.kind).first()
    if existing is not None:
        return existing
    if subject_kind == SubjectKind.ORDER:
        payables.check_order_payable(subject, due.kind)
    else:
        payables.check_sample_payable(subject)
    if due.amount <= 0:
        raise ValidationError(_("There is nothing to pay."))
    provider = providers.get_provider()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                kind=due.kind,
                subject_kind=subject_kind,
                subject_id=subject_id,
                lot=due.lot,
                payer=due.payer,
                payee=due.payee,
                provider=provider.name,
                currency=due.currency,
                amount=due.amount,
                fee_amount=due.fee_amount,
                producer_amount=due.producer_amount,
                description=due.description,
            )
            audit_log(
                actor=by,
                action="payment.opened",
                target=payment,
                data={"kind": due.kind, "amount": str(due.amount), "currency": due.currency, "provider": provider.name},
            )
            if provider.name == providers.OFFLINE:
                # A bank transfer needs its reference at once; the offline provider makes no call.
                _offline_reference(payment=payment, by=by)
    except IntegrityError:
        # Opened concurrently by another request of the same buyer: use that one.
        return Payment.objects.get(subject_kind=subject_kind, subject_id=subject_id, kind=due.kind)
    return payment


def _offline_reference(*, payment: Payment, by: Any) -> None:
    payment.attempts = 1
    key = _idempotency_key(payment, "attempt", 1)
    result = providers.OfflineProvider().create_intent(
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=key,
        metadata={"payment": str(payment.public_id)},
        payment_method=None,
        description=payment.description,
    )
    PaymentAttempt.objects.create(
        payment=payment,
        number=1,
        idempotency_key=key,
        intent_id=result.intent_id,
        status=PaymentAttempt.Status.REQUIRES_ACTION,
    )
    payment.intent_id = result.intent_id
    payment.status = PaymentStatus.PENDING
    payment.save(update_fields=["attempts", "intent_id", "status", "updated_at"])
    audit_log(actor=by, action="payment.pending", target=payment, data={"reference": result.intent_id})


# --- Charging ---------------------------------------------------------------------------------


def payment_attempt_start(*, payment: Payment, by: Any, payment_method: str) -> tuple[Payment, IntentResult]:
    """Charge the card the buyer's browser tokenised (server-side confirmation).

    At most one attempt per payment is live (started, waiting for 3-D Secure, or processing; a
    partial unique constraint enforces it), and a second request while one is live (another
    tab, a retried call without an Idempotency-Key) gets that attempt back instead of charging
    again. The attempt is committed before Stripe is called, so its idempotency key is fixed
    and a webhook arriving meanwhile finds it; Stripe's answer is recorded in a second short
    transaction. A decline ends the attempt, and the next try gets a new number and key.
    """
    if not payment_method or not isinstance(payment_method, str) or len(payment_method) > 255:
        raise ValidationError({"payment_method": [_("Enter your card details.")]})
    for _round in range(2):
        started, live = _attempt_claim(payment=payment, by=by)
        if started is not None:
            return _attempt_charge(attempt=started, payment_method=payment_method, by=by)
        assert live is not None
        answer = _live_answer(attempt=live)
        if answer is not None:
            return answer
        # Asked again, Stripe said the live attempt had ended (failed or canceled): start anew.
    raise Conflict(_("A payment is being processed; wait for its result."), {"status": payment.status})


def _attempt_claim(*, payment: Payment, by: Any) -> tuple[PaymentAttempt | None, PaymentAttempt | None]:
    """Under the payment lock: (a new committed attempt, None), or (None, the live attempt)."""
    try:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.payer_id != getattr(by, "pk", None):
                raise PermissionDenied(_("Only the buyer pays."))
            if locked.provider != providers.STRIPE:
                raise Conflict(_("This payment is made by bank transfer."))
            if locked.amount_paid > 0:
                raise Conflict(_("This payment is already made."), {"status": locked.status})
            live = locked.attempt_rows.filter(status__in=PaymentAttempt.LIVE).order_by("-number").first()
            if live is not None:
                return None, live
            locked.attempts += 1
            number = locked.attempts
            attempt = PaymentAttempt.objects.create(
                payment=locked, number=number, idempotency_key=_idempotency_key(locked, "attempt", number)
            )
            locked.status = PaymentStatus.PENDING
            locked.failure_message = ""
            locked.save(update_fields=["attempts", "status", "failure_message", "updated_at"])
            audit_log(actor=by, action="payment.attempt", target=locked, data={"attempt": number})
    except IntegrityError:
        # The constraint caught a live attempt written without this lock: hand that one back.
        live = PaymentAttempt.objects.filter(payment_id=payment.pk, status__in=PaymentAttempt.LIVE).first()
        if live is None:
            raise
        return None, live
    attempt.payment = locked
    return attempt, None


def _attempt_charge(*, attempt: PaymentAttempt, payment_method: str, by: Any) -> tuple[Payment, IntentResult]:
    """Call Stripe for a committed attempt (no transaction is open here), then record the answer."""
    payment = attempt.payment
    try:
        result = providers.get_provider(payment.provider).create_intent(
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=attempt.idempotency_key,
            metadata={"payment": str(payment.public_id), "attempt": str(attempt.number), "kind": payment.kind},
            payment_method=payment_method,
            description=payment.description,
        )
    except ProviderError as exc:
        if exc.uncertain:
            # The card may have been charged: the attempt stays live, so nothing can charge it
            # again, until its webhook or the reconcile task says what became of it.
            audit_log(
                actor=by,
                action="payment.attempt_uncertain",
                target=payment,
                data={"attempt": attempt.number, "error": exc.message},
            )
            payment.refresh_from_db()
            return payment, IntentResult(
                intent_id="",
                status=IntentStatus.PROCESSING,
                amount=payment.amount,
                currency=payment.currency,
                error=exc.message,
            )
        _attempt_end(attempt_id=attempt.pk, status=PaymentAttempt.Status.FAILED, message=exc.message, by=by)
        raise ValidationError({"payment_method": [exc.message]}) from exc
    updated = payment_apply_intent(result=result, attempt_id=attempt.pk, source="checkout")
    return (updated or payment), result


def _live_answer(*, attempt: PaymentAttempt) -> tuple[Payment, IntentResult] | None:
    """What a repeated request gets while ``attempt`` is live: the same answer as the first.

    If the attempt has its intent, Stripe is asked again (outside any transaction) and the
    answer recorded, so the caller sees its current state (and a 3-D Secure client secret);
    None if it turns out to have ended without a charge. Without an intent the first request
    is still on its way to Stripe: it is reported as processing.
    """
    payment = Payment.objects.get(pk=attempt.payment_id)
    if attempt.intent_id:
        try:
            result = providers.get_provider(payment.provider).retrieve_intent(intent_id=attempt.intent_id)
        except ProviderError:
            result = None
        if result is not None:
            updated = payment_apply_intent(result=result, attempt_id=attempt.pk, source="checkout-repeat")
            attempt.refresh_from_db()
            if attempt.status in {PaymentAttempt.Status.FAILED, PaymentAttempt.Status.CANCELED}:
                return None
            return (updated or payment), result
    status = (
        IntentStatus.REQUIRES_ACTION
        if attempt.status == PaymentAttempt.Status.REQUIRES_ACTION
        else IntentStatus.PROCESSING
    )
    return payment, IntentResult(
        intent_id=attempt.intent_id or "", status=status, amount=payment.amount, currency=payment.currency
    )


def _attempt_end(*, attempt_id: int, status: str, message: str, by: Any) -> None:
    """End a live attempt without a charge (declined, refused, or never reached Stripe)."""
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_related("payment").get(pk=attempt_id)
        payment = Payment.objects.select_for_update().get(pk=attempt.payment_id)
        attempt = PaymentAttempt.objects.get(pk=attempt_id)
        if not attempt.is_live:
            return
        attempt.status = status
        attempt.error = message[:500]
        attempt.save(update_fields=["status", "error", "updated_at"])
        if payment.amount_paid == 0 and attempt.number == payment.attempts:
            payment.status = PaymentStatus.FAILED
            payment.failure_message = message[:500]
            payment.save(update_fields=["status", "failure_message", "updated_at"])
            audit_log(
                actor=by, action="payment.failed", target=payment, data={"attempt": attempt.number, "error": message}
            )


def payment_attempt_recover(*, attempt_id: int) -> str:
    """Reconcile an attempt whose create call left no answer (no intent id recorded).

    The process died between committing the attempt and hearing from Stripe, or the connection
    broke. Stripe is searched for the intent by the attempt's metadata: found, it is attached
    and recorded like any answer; not found (well after the call), the request never reached
    Stripe, so the attempt ends as canceled and the buyer may pay again. Safe to run twice.
    """
    attempt = PaymentAttempt.objects.select_related("payment").get(pk=attempt_id)
    if not attempt.is_live or attempt.intent_id:
        return "nothing-to-do"
    payment = attempt.payment
    result = providers.get_provider(payment.provider).find_intent(
        metadata={"payment": str(payment.public_id), "attempt": str(attempt.number)}
    )
    if result is None:
        _attempt_end(
            attempt_id=attempt.pk,
            status=PaymentAttempt.Status.CANCELED,
            message=_("The payment did not reach the payment service and nothing was charged. Please try again."),
            by=None,
        )
        return "never-charged"
    payment_apply_intent(result=result, attempt_id=attempt.pk, source="reconcile")
    return "found"


def _find_attempt(result: IntentResult, attempt_id: int | None) -> PaymentAttempt | None:
    if attempt_id is not None:
        return PaymentAttempt.objects.filter(pk=attempt_id).first()
    attempt = PaymentAttempt.objects.filter(intent_id=result.intent_id).first() if result.intent_id else None
    if attempt is None and result.metadata.get("payment") and result.metadata.get("attempt", "").isdigit():
        # We crashed between Stripe's answer and recording it: the metadata still names the attempt.
        attempt = PaymentAttempt.objects.filter(
            payment__public_id=result.metadata["payment"], number=int(result.metadata["attempt"])
        ).first()
    return attempt


def payment_apply_intent(
    *, result: IntentResult, attempt_id: int | None = None, by: Any | None = None, source: str
) -> Payment | None:
    """Record what the provider says about an attempt. Idempotent; returns None if not ours."""
    attempt = _find_attempt(result, attempt_id)
    if attempt is None:
        log.info("payment intent %s is not one of ours", result.intent_id)
        return None
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=attempt.payment_id)
        attempt = PaymentAttempt.objects.get(pk=attempt.pk)
        if result.currency.upper() != payment.currency:
            log.error("payment %s: intent %s in %s", payment.pk, result.intent_id, result.currency)
            return payment
        attempt_fields: list[str] = []
        if result.intent_id and attempt.intent_id != result.intent_id:
            attempt.intent_id = result.intent_id
            attempt_fields.append("intent_id")
        before = (payment.status, payment.amount_paid, payment.amount_refunded)
        fields: set[str] = set()
        fallback = payment.status
        latest = attempt.number == payment.attempts
        if result.status == IntentStatus.SUCCEEDED:
            if attempt.status != PaymentAttempt.Status.SUCCEEDED:
                attempt.status = PaymentAttempt.Status.SUCCEEDED
                attempt_fields.append("status")
                if payment.amount_paid > 0 and payment.intent_id and payment.intent_id != result.intent_id:
                    # Two attempts both charged: keep the first, flag this one for a moderator to refund.
                    audit_log(
                        actor=by,
                        action="payment.duplicate_charge",
                        target=payment,
                        data={"intent": result.intent_id, "amount": str(result.amount_received)},
                    )
            received = min(result.amount_received or result.amount, payment.amount)
            if received > payment.amount_paid:
                payment.amount_paid = received
                payment.paid_at = payment.paid_at or timezone.now()
                payment.intent_id = result.intent_id or payment.intent_id
                payment.failure_message = ""
                fields |= {"amount_paid", "paid_at", "intent_id", "failure_message"}
        elif result.status in {IntentStatus.FAILED, IntentStatus.CANCELED}:
            if attempt.status != PaymentAttempt.Status.SUCCEEDED:
                new = (
                    PaymentAttempt.Status.FAILED
                    if result.status == IntentStatus.FAILED
                    else PaymentAttempt.Status.CANCELED
                )
                if attempt.status != new:
                    attempt.status = new
                    attempt.error = (result.error or result.status)[:500]
                    attempt_fields += ["status", "error"]
                if payment.amount_paid == 0 and latest:
                    fallback = PaymentStatus.FAILED
                    if payment.failure_message != (result.error or result.status)[:500]:
                        payment.failure_message = (result.error or result.status)[:500]
                        fields.add("failure_message")
        elif result.status in {IntentStatus.PROCESSING, IntentStatus.REQUIRES_ACTION}:
            if attempt.status in {PaymentAttempt.Status.STARTED}:
                attempt.status = (
                    PaymentAttempt.Status.PROCESSING
                    if result.status == IntentStatus.PROCESSING
                    else PaymentAttempt.Status.REQUIRES_ACTION
                )
                attempt_fields.append("status")
            if payment.amount_paid == 0 and latest:
                fallback = PaymentStatus.PENDING
                if payment.intent_id != result.intent_id:
                    payment.intent_id = result.intent_id
                    fields.add("intent_id")
        if result.amount_refunded > 0:
            _apply_refund_total(payment=payment, reported=result.amount_refunded, fields=fields)
        payment.status = _derive_status(payment, fallback)
        if attempt_fields:
            attempt.save(update_fields=[*set(attempt_fields), "updated_at"])
        after = (payment.status, payment.amount_paid, payment.amount_refunded)
        if after == before and not fields:
            return payment
        payment.save(update_fields=[*fields, "status", "updated_at"])
        _after_change(payment=payment, before=before, by=by, source=source, reference=result.intent_id)
        return payment


def _apply_refund_total(*, payment: Payment, reported: Decimal, fields: set[str]) -> None:
    """Refunds as Stripe reports them (cumulative, so the largest report wins)."""
    ours = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or ZERO
    total = min(max(reported, ours, payment.amount_refunded), payment.amount_paid)
    if total > payment.amount_refunded:
        payment.amount_refunded = total
        fields.add("amount_refunded")


def _after_change(
    *, payment: Payment, before: tuple[str, Decimal, Decimal], by: Any, source: str, reference: str
) -> None:
    """Audit the change, keep the payout ledger, and tell the order once the money is in."""
    old_status, old_paid, old_refunded = before
    audit_log(
        actor=by,
        action=f"payment.{payment.status}",
        target=payment,
        data={
            "from": old_status,
            "to": payment.status,
            "source": source,
            "paid": str(payment.amount_paid),
            "refunded": str(payment.amount_refunded),
            "reference": reference,
        },
    )
    if payment.amount_paid > old_paid:
        # Each receipt credits its share; computed as the difference of rounded cumulative
        # shares, so instalments add up to exactly what the producer receives on the whole.
        credit = _producer_share(payment, payment.amount_paid) - _producer_share(payment, old_paid)
        _ledger(
            payment=payment,
            kind=PayoutEntry.Kind.CREDIT,
            amount=credit,
            key=f"credit-{payment.pk}" if old_paid == 0 else f"credit-{payment.pk}-{payment.amount_paid}",
            memo=payment.description,
        )
        url = reverse("payments:detail", args=[payment.public_id])
        if old_paid < payment.amount <= payment.amount_paid:
            outcome = payables.on_paid(
                subject_kind=payment.subject_kind,
                subject_id=payment.subject_id,
                kind=payment.kind,
                by=by,
                reference=reference or str(payment.public_id),
            )
            if outcome == "order-refused":
                audit_log(actor=by, action="payment.order_refused", target=payment, data={"reference": reference})
            notify(
                recipient=payment.payee,
                kind="payment.received",
                message=_("Payment received: %(what)s, %(amount)s %(currency)s.")
                % {"what": payment.description, "amount": payment.amount_paid, "currency": payment.currency},
                url=url,
                dedupe_key=f"payment-received-{payment.pk}",
            )
        else:
            notify(
                recipient=payment.payee,
                kind="payment.received",
                message=_("Part payment received: %(what)s, %(amount)s of %(total)s %(currency)s so far.")
                % {
                    "what": payment.description,
                    "amount": payment.amount_paid,
                    "total": payment.amount,
                    "currency": payment.currency,
                },
                url=url,
                dedupe_key=f"payment-received-{payment.pk}-{payment.amount_paid}",
            )
    if payment.amount_refunded > old_refunded and payment.amount_paid > 0:
        delta = payment.amount_refunded - old_refunded
        _ledger(
            payment=payment,
            kind=PayoutEntry.Kind.DEBIT,
            amount=delta * payment.producer_amount / payment.amount,
            key=f"debit-{payment.pk}-{payment.amount_refunded}",
            memo=_("Refund") + f" · {payment.description}",
        )
        notify(
            recipient=payment.payer,
            kind="payment.refunded",
            message=_("Refunded %(amount)s %(currency)s: %(what)s.")
            % {"what": payment.description, "amount": delta, "currency": payment.currency},
            url=reverse("payments:detail", args=[payment.public_id]),
            dedupe_key=f"payment-refunded-{payment.pk}-{payment.amount_refunded}",
        )


def payment_apply_charge(*, charge: dict[str, Any], source: str) -> Payment | None:
    """``charge.refunded``: the charge carries what was captured and the cumulative refund."""
    intent_id, captured, refunded, currency = providers.charge_refund_total(charge)
    attempt = PaymentAttempt.objects.filter(intent_id=intent_id).first() if intent_id else None
    if attempt is None:
        return None
    # A refund implies the charge succeeded; if its success event is still on the way, this
    # records the payment too, so either order of arrival ends in the same state.
    return payment_apply_intent(
        result=IntentResult(
            intent_id=intent_id,
            status=IntentStatus.SUCCEEDED if captured > 0 else IntentStatus.PROCESSING,
            amount=captured,
            currency=currency,
            amount_received=captured,
            amount_refunded=refunded,
        ),
        source=source,
    )


def payment_sync(*, payment: Payment, by: Any, intent_id: str = "") -> Payment:
    """The return page: ask the provider for the intent and record it, as the webhook would."""
    if not (getattr(by, "pk", None) == payment.payer_id or _is_moderator(by)):
        raise PermissionDenied(_("This is not your payment."))
    intent_id = intent_id or payment.intent_id
    if payment.provider != providers.STRIPE or not intent_id:
        return payment
    result = providers.get_provider(payment.provider).retrieve_intent(intent_id=intent_id)
    if result.metadata.get("payment") != str(payment.public_id):
        raise PermissionDenied(_("This payment reference belongs to another payment."))
    return payment_apply_intent(result=result, source="return") or payment


def payment_mark_received(*, payment: Payment, by: Any, amount: Any = None, reference: str = "") -> Payment:
    """Offline mode: a moderator records a bank transfer that arrived.

    Transfers accumulate, each an append-only ``BankTransfer``: the payment (and with it the
    order) is paid once their total covers the amount, partially paid until then, and each
    receipt credits the producer's ledger with its share. Without an amount, the rest still due
    is recorded. A transfer above what is still due is refused, not recorded: the moderator
    records the amount due and returns the excess to the buyer. A bank reference already
    recorded on this payment is the same transfer submitted twice and changes nothing.
    """
    if not _is_moderator(by):
        raise PermissionDenied(_("Only moderators record bank transfers."))
    if payment.provider != providers.OFFLINE:
        raise Conflict(_("Card payments are confirmed by the payment service."))
    reference = (reference or "").strip()[:200]
    parsed = None if amount is None else _parse_amount(amount, payment.currency)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if reference and locked.transfers.filter(reference=reference).exists():
            return locked
        due = locked.amount_due
        if due <= 0:
            raise Conflict(_("This payment has been received in full."), {"status": locked.status})
        value = due if parsed is None else parsed
        if value > due:
            raise ValidationError(
                {
                    "amount": [
                        _(
                            "Only %(due)s %(currency)s is still due. Record at most that, and return the excess "
                            "to the buyer."
                        )
                        % {"due": due, "currency": locked.currency}
                    ]
                }
            )
        BankTransfer.objects.create(
            payment=locked, amount=value, currency=locked.currency, reference=reference, received_by=by
        )
        before = (locked.status, locked.amount_paid, locked.amount_refunded)
        locked.amount_paid += value
        fields = {"amount_paid"}
        if locked.amount_paid >= locked.amount:
            locked.paid_at = timezone.now()
            fields.add("paid_at")
            PaymentAttempt.objects.filter(payment=locked, status__in=PaymentAttempt.LIVE).update(
                status=PaymentAttempt.Status.SUCCEEDED, updated_at=timezone.now()
            )
        locked.status = _derive_status(locked, locked.status)
        locked.save(update_fields=[*fields, "status", "updated_at"])
        audit_log(
            actor=by,
            action="payment.transfer_received",
            target=locked,
            data={
                "amount": str(value),
                "reference": reference,
                "received": str(locked.amount_paid),
                "due": str(locked.amount_due),
            },
        )
        _after_change(
            payment=locked, before=before, by=by, source="bank-transfer", reference=reference or locked.intent_id
        )
    return locked


# --- Refunds ----------------------------------------------------------------------------------


def _parse_amount(value: Any, currency: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({"amount": [_("Enter an amount.")]}) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": [_("Enter an amount above zero.")]})
    if amount != quantize_money(amount, currency):
        raise ValidationError(
            {"amount": [_("%(currency)s has %(n)s decimal places.") % {"currency": currency, "n": exponent(currency)}]}
        )
    return amount


def refund_create(*, payment: Payment, by: Any, amount: Any, reason: str = "") -> Refund:
    """A moderator refunds all or part of what was paid, never more.

    The refund is reserved under the payment lock (pending refunds count against what is left)
    before the provider is called, so two moderators at once cannot exceed the paid amount; the
    table's check constraint guards the recorded total as well.
    """
    if not _is_moderator(by):
        raise PermissionDenied(_("Only moderators refund."))
    amount = _parse_amount(amount, payment.currency)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.amount_paid <= 0:
            raise Conflict(_("Nothing has been paid yet."), {"status": locked.status})
        sums = {row["status"]: row["total"] for row in locked.refunds.values("status").annotate(total=Sum("amount"))}
        committed = max(locked.amount_refunded, sums.get(Refund.Status.SUCCEEDED, ZERO)) + sums.get(
            Refund.Status.PENDING, ZERO
        )
        available = locked.amount_paid - committed
        if amount > available:
            raise ValidationError(
                {
                    "amount": [
                        _("At most %(n)s %(c)s can be refunded.") % {"n": max(available, ZERO), "c": locked.currency}
                    ]
                }
            )
        number = locked.refunds.count() + 1
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            currency=locked.currency,
            reason=reason[:500],
            idempotency_key=_idempotency_key(locked, "refund", number),
            created_by=by,
        )
        audit_log(
            actor=by,
            action="payment.refund_requested",
            target=locked,
            data={"amount": str(amount), "reason": reason[:500]},
        )
    try:
        result = providers.get_provider(locked.provider).refund(
            intent_id=locked.intent_id,
            amount=amount,
            currency=locked.currency,
            idempotency_key=refund.idempotency_key or "",
        )
    except ProviderError as exc:
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=locked.pk)
            Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
                status=Refund.Status.FAILED, updated_at=timezone.now()
            )
            audit_log(actor=by, action="payment.refund_failed", target=locked, data={"error": exc.message})
        raise ValidationError({"amount": [exc.message]}) from exc
    with transaction.atomic():
        payment_locked = Payment.objects.select_for_update().get(pk=locked.pk)
        refund = Refund.objects.get(pk=refund.pk)
        if refund.status == Refund.Status.PENDING:
            refund.status = Refund.Status.FAILED if result.status == "failed" else Refund.Status.SUCCEEDED
            refund.provider_refund_id = result.refund_id
            refund.save(update_fields=["status", "provider_refund_id", "updated_at"])
        before = (payment_locked.status, payment_locked.amount_paid, payment_locked.amount_refunded)
        fields: set[str] = set()
        _apply_refund_total(payment=payment_locked, reported=ZERO, fields=fields)
        payment_locked.status = _derive_status(payment_locked, payment_locked.status)
        if fields:
            payment_locked.save(update_fields=[*fields, "status", "updated_at"])
            _after_change(payment=payment_locked, before=before, by=by, source="refund", reference=result.refund_id)
    return refund


# --- Webhooks ---------------------------------------------------------------------------------


def _on_intent(status: str) -> Any:
    def handler(obj: dict[str, Any]) -> str:
        result = providers.intent_from_payload(obj)
        # The event type is the authority on what happened (a failed intent's payload says
        # requires_payment_method); amounts and ids come from the payload.
        result = IntentResult(**{**result.__dict__, "status": status})
        return "applied" if payment_apply_intent(result=result, source="webhook") else "not-ours"

    return handler


def _on_charge_refunded(obj: dict[str, Any]) -> str:
    return "applied" if payment_apply_charge(charge=obj, source="webhook") else "not-ours"


WEBHOOK_HANDLERS: dict[str, Any] = {
    "payment_intent.succeeded": _on_intent(IntentStatus.SUCCEEDED),
    "payment_intent.payment_failed": _on_intent(IntentStatus.FAILED),
    "payment_intent.canceled": _on_intent(IntentStatus.CANCELED),
    "charge.refunded": _on_charge_refunded,
}


def webhook_process(*, event: dict[str, Any]) -> str:
    """Handle a verified event once: the event id is claimed in the same transaction as the work,
    so a failure leaves it unclaimed for Stripe's retry, and a redelivery is a no-op."""
    event_id = str(event["id"])[:255]
    event_type = str(event.get("type", ""))[:100]
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = ProcessedEvent.objects.create(event_id=event_id, type=event_type)
        except IntegrityError:
            return "duplicate"
        handler = WEBHOOK_HANDLERS.get(event_type)
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        outcome = handler(obj) if handler and isinstance(obj, dict) else "ignored"
        row.outcome = outcome
        row.save(update_fields=["outcome"])
    return outcome


# --- Lot payment terms ------------------------------------------------------------------------


def lot_terms_set(*, lot: Any, by: Any, mode: str) -> LotPaymentTerms:
    """The producer chooses a deposit or full payment for orders on their lot."""
    if getattr(by, "pk", None) != lot.producer_id:
        raise PermissionDenied(_("Only the lot's producer sets its payment terms."))
    if mode not in PaymentMode.values:
        raise ValidationError({"mode": [_("Choose deposit or full payment.")]})
    with transaction.atomic():
        terms, _created = LotPaymentTerms.objects.select_for_update().get_or_create(lot=lot, defaults={"mode": mode})
        if terms.mode != mode or _created:
            old = terms.mode
            terms.mode = mode
            terms.save(update_fields=["mode", "updated_at"])
            audit_log(actor=by, action="payment.terms_set", target=lot, data={"from": old, "to": mode})
    return terms
