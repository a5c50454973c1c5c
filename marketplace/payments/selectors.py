"""Reads of the payments app, always scoped to the user asking."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from marketplace.payments import payables
from marketplace.payments.models import Payment, PaymentKind, PaymentStatus, PayoutEntry, SubjectKind


def payments_for(user: Any) -> QuerySet[Payment]:
    """Moderators see every payment; everyone else the ones they make or receive."""
    qs = Payment.objects.select_related("lot", "payer", "payee").prefetch_related("refunds", "transfers")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if getattr(user, "is_moderator", False):
        return qs
    return qs.filter(Q(payer=user) | Q(payee=user))


def payment_for(user: Any, public_id: Any) -> Payment:
    return payments_for(user).get(public_id=public_id)


def ledger_for(user: Any) -> QuerySet[PayoutEntry]:
    qs = PayoutEntry.objects.select_related("payment", "payment__lot")
    if getattr(user, "is_moderator", False):
        return qs.select_related("producer")
    return qs.filter(producer=user) if getattr(user, "is_authenticated", False) else qs.none()


def ledger_balances(user: Any) -> dict[str, Decimal]:
    """What the marketplace owes the producer, per currency (credits minus debits)."""
    out: dict[str, Decimal] = {}
    for row in ledger_for(user).values("currency", "kind").annotate(total=Sum("amount")).order_by():
        sign = 1 if row["kind"] == PayoutEntry.Kind.CREDIT else -1
        out[row["currency"]] = out.get(row["currency"], Decimal("0")) + sign * row["total"]
    return out


def dues_for(user: Any) -> list[dict[str, Any]]:
    """What a roaster can pay now: orders awaiting payment and unpaid sample fees."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_roaster", False):
        return []
    opened = {
        (p.subject_kind, p.subject_id, p.kind): p
        for p in Payment.objects.filter(payer=user).only("subject_kind", "subject_id", "kind", "status", "public_id")
    }
    out: list[dict[str, Any]] = []
    status = payables.OrderStatus
    orders = payables.order_model().objects.filter(
        buyer=user, status__in=[status.AWAITING_PAYMENT, *payables.BALANCE_DUE_STATUSES]
    )
    for order in orders.select_related("lot", "seller"):
        # The same rule as payment_open: an up-front payment already opened fixes the kind.
        upfront = opened.get((SubjectKind.ORDER, order.pk, PaymentKind.FULL)) or opened.get(
            (SubjectKind.ORDER, order.pk, PaymentKind.DEPOSIT)
        )
        first = upfront.kind if upfront else payables.order_due(order).kind
        if order.status == status.AWAITING_PAYMENT:
            kinds = [first]
        elif first == PaymentKind.DEPOSIT and upfront is not None and upfront.is_settled:
            kinds = [PaymentKind.BALANCE]
        else:
            continue
        for kind in kinds:
            d = payables.order_due(order, kind)
            payment = opened.get((SubjectKind.ORDER, order.pk, kind))
            if payment is None or not payment.is_settled:
                out.append({"due": d, "payment": payment, "label": order.number})
    samples = (
        payables.sample_model().objects.filter(roaster=user, fee__gt=0).exclude(status=payables.SampleStatus.DECLINED)
    )
    for sample in samples.select_related("lot", "producer"):
        payment = opened.get((SubjectKind.SAMPLE, sample.pk, PaymentKind.SAMPLE_FEE))
        if payment is None or not payment.is_settled:
            out.append({"due": payables.sample_due(sample), "payment": payment, "label": sample.lot.name})
    return out


def pending_transfers() -> QuerySet[Payment]:
    """Offline payments with money still to arrive (none yet, or part of it)."""
    return Payment.objects.filter(
        status__in=[PaymentStatus.PENDING, PaymentStatus.PARTIALLY_PAID], provider="offline"
    ).select_related("payer", "lot")


def payment_for_subject(subject_kind: str, subject_id: int) -> list[Payment]:
    return list(Payment.objects.filter(subject_kind=subject_kind, subject_id=subject_id).prefetch_related("refunds"))


def refunds_to_consider() -> list[dict[str, Any]]:
    """For moderators: money still held on cancelled orders or orders whose quality claim was
    settled with an allowance or a return. Deciding the amount stays a moderator's call."""
    from django.db.models import F

    from marketplace.negotiation.models import ClaimOutcome, ClaimStatus, QualityClaim

    held = Payment.objects.filter(subject_kind=SubjectKind.ORDER, amount_paid__gt=F("amount_refunded"))
    cancelled = set(
        payables.order_model()
        .objects.filter(status=payables.OrderStatus.CANCELLED, pk__in=held.values("subject_id"))
        .values_list("pk", flat=True)
    )
    settled = set(
        QualityClaim.objects.filter(
            status=ClaimStatus.RESOLVED,
            outcome__in=[ClaimOutcome.ALLOWANCE, ClaimOutcome.REPLACED],
            order_id__in=held.values("subject_id"),
        ).values_list("order_id", flat=True)
    )
    out = []
    for payment in held.filter(subject_id__in=cancelled | settled).select_related("payer"):
        reason = "cancelled" if payment.subject_id in cancelled else "claim"
        out.append({"payment": payment, "reason": reason})
    return out
