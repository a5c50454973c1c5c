"""What can be paid: the negotiation app's orders and sample requests, seen from payments.

The only place that reads the negotiation models and calls their services, so a change on their
side has one place to land here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.money import quantize_money
from marketplace.negotiation.models import OrderStatus, SampleStatus
from marketplace.payments import conf
from marketplace.payments.models import LotPaymentTerms, PaymentKind, PaymentMode, SubjectKind

__all__ = ["BALANCE_DUE_STATUSES", "OrderStatus", "SampleStatus"]

# Orders on which a deposit was paid and whose balance may now be paid.
BALANCE_DUE_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """One amount a buyer owes, split into the marketplace fee and what the producer receives."""

    kind: str
    subject_kind: str
    subject_id: int
    lot: Any
    payer: Any
    payee: Any
    amount: Decimal
    fee_amount: Decimal
    currency: str
    description: str

    @property
    def producer_amount(self) -> Decimal:
        return self.amount - self.fee_amount


def order_model() -> Any:
    from marketplace.negotiation.models import Order

    return Order


def sample_model() -> Any:
    from marketplace.negotiation.models import SampleRequest

    return SampleRequest


def get_subject(subject_kind: str, subject_id: int) -> Any:
    model = order_model() if subject_kind == SubjectKind.ORDER else sample_model()
    return model.objects.select_related("lot").get(pk=subject_id)


def payment_mode_for(lot: Any) -> str:
    terms = LotPaymentTerms.objects.filter(lot=lot).first()
    return terms.mode if terms else PaymentMode.FULL


def deposit_amount(total: Decimal, currency: str) -> Decimal:
    return quantize_money(total * conf.DEPOSIT_PERCENT / Decimal(100), currency)


def _fee_share(part: Decimal, order: Any) -> Decimal:
    """The marketplace fee inside ``part`` of the order total, in proportion to the whole."""
    if not order.total:
        return Decimal("0")
    return quantize_money(part * order.marketplace_fee / order.total, order.currency)


def order_due(order: Any, kind: str | None = None, deposit: tuple[Decimal, Decimal] | None = None) -> Due:
    """The next amount due on an order: full, or deposit then balance, as the lot's terms say.

    ``deposit`` is (amount, fee) of the deposit actually opened; the balance is the rest of the
    contract, so a later change of the deposit percentage cannot make the two miss the total.
    """
    mode = payment_mode_for(order.lot)
    total = Decimal(order.total)
    if kind is None:
        kind = PaymentKind.DEPOSIT if mode == PaymentMode.DEPOSIT else PaymentKind.FULL
    if kind == PaymentKind.FULL:
        amount = total
    elif kind == PaymentKind.DEPOSIT:
        amount = deposit_amount(total, order.currency)
    elif kind == PaymentKind.BALANCE:
        amount = total - (deposit[0] if deposit else deposit_amount(total, order.currency))
    else:
        raise ValidationError(_("This is not a kind of order payment."))
    if kind == PaymentKind.FULL:
        fee = Decimal(order.marketplace_fee)
    elif kind == PaymentKind.DEPOSIT:
        fee = _fee_share(amount, order)
    else:
        # The balance carries the rest of the fee, so deposit + balance fees equal the contract's.
        fee = Decimal(order.marketplace_fee) - (deposit[1] if deposit else _fee_share(total - amount, order))
    labels: dict[str, str] = {
        PaymentKind.FULL: _("Payment"),
        PaymentKind.DEPOSIT: _("Deposit"),
        PaymentKind.BALANCE: _("Balance"),
    }
    return Due(
        kind=kind,
        subject_kind=SubjectKind.ORDER,
        subject_id=order.pk,
        lot=order.lot,
        payer=order.buyer,
        payee=order.seller,
        amount=amount,
        fee_amount=fee,
        currency=order.currency,
        description=f"{labels[kind]} · {order.number} · {order.lot.name}"[:300],
    )


def sample_due(sample: Any) -> Due:
    # Sample fees cover the producer's courier costs: they pass through without a marketplace fee.
    return Due(
        kind=PaymentKind.SAMPLE_FEE,
        subject_kind=SubjectKind.SAMPLE,
        subject_id=sample.pk,
        lot=sample.lot,
        payer=sample.roaster,
        payee=sample.producer,
        amount=Decimal(sample.fee),
        fee_amount=Decimal("0"),
        currency=sample.currency,
        description=(_("Sample fee") + f" · {sample.lot.name}")[:300],
    )


def check_order_payable(order: Any, kind: str) -> None:
    status = str(order.status)
    if kind == PaymentKind.BALANCE:
        if status not in BALANCE_DUE_STATUSES:
            raise Conflict(_("The balance is due once the deposit is paid."), {"status": status})
    elif status != OrderStatus.AWAITING_PAYMENT:
        raise Conflict(_("This order is not awaiting payment."), {"status": status})


def check_sample_payable(sample: Any) -> None:
    if str(sample.status) == SampleStatus.DECLINED:
        raise Conflict(_("This sample request was declined."), {"status": sample.status})
    if Decimal(sample.fee) <= 0:
        raise ValidationError(_("This sample is free: there is nothing to pay."))


def on_paid(*, subject_kind: str, subject_id: int, kind: str, by: Any | None, reference: str) -> str:
    """Tell the negotiation app the money arrived. Runs inside the payment's transaction.

    A deposit or full payment moves the order to paid through its guarded service. If the order
    cannot take it (cancelled meanwhile), the payment stays recorded and a moderator refunds it:
    the Conflict is swallowed inside a savepoint so it cannot undo the payment.
    """
    if subject_kind != SubjectKind.ORDER or kind not in {PaymentKind.FULL, PaymentKind.DEPOSIT}:
        return "nothing-to-do"
    from marketplace.negotiation.services import order_mark_paid

    order = order_model().objects.get(pk=subject_id)
    try:
        with transaction.atomic():
            order_mark_paid(order=order, by=by if getattr(by, "is_moderator", False) else None, reference=reference)
    except Conflict as exc:
        log.warning("order %s did not take payment %s: %s", subject_id, reference, exc)
        return "order-refused"
    return "order-paid"


def subject_summary(subject_kind: str, subject_id: int) -> dict[str, Any]:
    """Link and, for an order, the contract's own money lines, for the payment page."""
    from django.urls import NoReverseMatch, reverse

    try:
        subject = get_subject(subject_kind, subject_id)
    except Exception:  # the subject's app may have removed it; the payment page still renders
        return {}
    name = "negotiation:order_detail" if subject_kind == SubjectKind.ORDER else "negotiation:sample_detail"
    try:
        url = reverse(name, args=[subject.pk])
    except NoReverseMatch:
        url = ""
    out: dict[str, Any] = {"url": url, "label": getattr(subject, "number", "") or str(subject)}
    if subject_kind == SubjectKind.ORDER:
        out.update(
            total=subject.total,
            fee=subject.marketplace_fee,
            fee_percent=subject.fee_percent,
            producer_receives=subject.producer_receives,
            currency=subject.currency,
            status=subject.get_status_display(),
        )
    return out
