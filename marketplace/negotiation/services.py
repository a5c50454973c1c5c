"""Orders (contracts): creation with an atomic reservation on the lot, and one guarded service per
status change. Negotiations and samples have their own modules (``services_negotiation``,
``services_samples``) and are re-exported at the bottom, so callers import from here.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from typing import Any

import filetype
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.images import BadImage, check_pdf, sanitize_image
from core.money import PriceUnit, per_kg, quantize_money, quantize_price
from core.services import audit_log, notify
from lots.models import Lot, LotStatus
from marketplace.negotiation import conf
from marketplace.negotiation.models import (
    ORDER_TRANSITIONS,
    ClaimOutcome,
    ClaimStatus,
    Order,
    OrderEvent,
    OrderSource,
    OrderStatus,
    QualityClaim,
    ShipmentDocument,
)

# Lots an order may be made on: listed, or already partly reserved by another order.
ORDERABLE_LOT_STATUSES = (LotStatus.LISTED, LotStatus.RESERVED)


def order_url(order: Order) -> str:
    return reverse("negotiation:order_detail", args=[order.pk])


def claim_window_days_for(buyer: Any) -> int:
    """European (ECF) contracts allow 21 days for quality claims, others (GCA) 15.

    A contract counts as European when the buyer's registered country is in
    ``conf.EUROPEAN_COUNTRIES``: the buyer imports there, so the ECF contract applies.
    """
    profile = getattr(buyer, "roaster_profile", None)
    country = (getattr(profile, "country", "") or "").upper()
    return conf.CLAIM_WINDOW_DAYS_EUROPE if country in conf.EUROPEAN_COUNTRIES else conf.CLAIM_WINDOW_DAYS


def order_amounts(*, quantity_kg: Decimal, price_per_kg: Decimal, currency: str) -> dict[str, Decimal]:
    """Total, fee and the producer's share, each quantized once to the currency's minor unit."""
    total = quantize_money(quantity_kg * price_per_kg, currency)
    fee_percent = conf.MARKETPLACE_FEE_PERCENT
    fee = quantize_money(total * fee_percent / Decimal(100), currency)
    return {"total": total, "fee_percent": fee_percent, "marketplace_fee": fee, "producer_receives": total - fee}


def _lot_kg_set(*, lot: Lot, reserved_kg: Decimal, sold_kg: Decimal, by: Any, reason: str) -> None:
    """Record the lot's committed and sold kilograms; the caller holds the lot lock.

    ``lots.services.lot_availability_set`` moves the status to match, as the system acting for
    the order: listed while kilograms are left, reserved when all are committed, sold out when
    all are paid for. A withdrawn lot keeps its status; an auctioned lot stays reserved until
    its auction lets go of it.
    """
    from lots.services import lot_availability_set

    lot_availability_set(lot=lot, reserved_kg=reserved_kg, sold_kg=sold_kg, by=by, reason=reason)


def _order_event(*, order: Order, by: Any, action: str, data: dict[str, Any] | None = None) -> None:
    OrderEvent.objects.create(
        order=order, actor=by if getattr(by, "is_authenticated", False) else None, action=action, data=data or {}
    )
    audit_log(actor=by, action=f"order.{action}", target=order, data=data or {})


def _lot_on_auction(lot_id: int) -> bool:
    # Imported here: auctions builds on negotiation (its winners get orders), not the reverse.
    from marketplace.auctions.models import AuctionLot, ItemStatus

    return AuctionLot.objects.filter(lot_id=lot_id, status=ItemStatus.OPEN).exists()


def order_create(
    *,
    lot: Lot,
    buyer: Any,
    seller: Any,
    quantity_kg: Decimal,
    price_per_kg: Decimal,
    currency: str,
    incoterm: str,
    incoterm_place: str = "",
    source: str,
    source_id: int,
    by: Any | None,
    shipment_window: str = "",
    conditions: str = "",
    price: Decimal | None = None,
    price_unit: str = PriceUnit.KG,
) -> Order:
    """Create the contract and reserve its quantity on the lot, atomically.

    The lot row is locked first, so concurrent orders on one lot queue up and each sees the
    reservation of the one before: the sum of reserved kilograms never exceeds the weight
    (a check constraint on Lot backs this up). Refuses with ``Conflict`` when it does not fit.
    ``price``/``price_unit`` record the price as agreed; without them it is ``price_per_kg`` per kg.
    """
    quantity_kg = Decimal(quantity_kg)
    if quantity_kg <= 0:
        raise ValidationError({"quantity_kg": _("The quantity must be more than zero.")})
    if price is None:
        price, price_unit = Decimal(price_per_kg), PriceUnit.KG
    exact_per_kg = per_kg(Decimal(price), price_unit)
    if exact_per_kg <= 0:
        raise ValidationError({"price": _("The price must be more than zero.")})
    if source not in OrderSource.values:
        raise ValidationError({"source": _("Unknown order source.")})
    if getattr(buyer, "pk", None) == getattr(seller, "pk", None):
        raise ValidationError(_("A producer cannot buy their own lot."))
    with transaction.atomic():
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        if locked.producer_id != seller.pk:
            raise PermissionDenied(_("Only the lot's producer can sell it."))
        if Order.objects.filter(source=source, source_id=source_id).exists():
            raise Conflict(_("This has already been turned into an order."), {"source": source, "source_id": source_id})
        if locked.status not in ORDERABLE_LOT_STATUSES:
            raise Conflict(
                _("This lot is not available (status: %(status)s).") % {"status": locked.get_status_display()},
                {"lot_status": locked.status},
            )
        if source != OrderSource.AUCTION and _lot_on_auction(locked.pk):
            # An auctioned lot belongs to its bidders until the auction closes.
            raise Conflict(_("This lot is on auction until the auction closes."), {"lot_status": "on_auction"})
        available = locked.weight_kg - locked.reserved_kg
        if quantity_kg > available:
            raise Conflict(
                _("Only %(available)s kg of this lot are still available.") % {"available": available},
                {"available_kg": str(available), "requested_kg": str(quantity_kg)},
            )
        amounts = order_amounts(quantity_kg=quantity_kg, price_per_kg=exact_per_kg, currency=currency)
        order = Order.objects.create(
            lot=locked,
            buyer=buyer,
            seller=seller,
            quantity_kg=quantity_kg,
            price=quantize_price(Decimal(price)),
            price_unit=price_unit,
            price_per_kg=quantize_price(exact_per_kg),
            currency=currency,
            incoterm=incoterm,
            incoterm_place=incoterm_place,
            shipment_window=shipment_window,
            conditions=conditions,
            source=source,
            source_id=source_id,
            claim_window_days=claim_window_days_for(buyer),
            **amounts,
        )
        _lot_kg_set(
            lot=locked,
            reserved_kg=locked.reserved_kg + quantity_kg,
            sold_kg=locked.sold_kg,
            by=by,
            reason=f"order {order.pk}",
        )
        lot.reserved_kg, lot.sold_kg, lot.status = locked.reserved_kg, locked.sold_kg, locked.status
        _order_event(
            order=order,
            by=by,
            action="created",
            data={"source": source, "source_id": source_id, "quantity_kg": str(quantity_kg), "total": str(order.total)},
        )
        url = order_url(order)
        for recipient in (buyer, seller):
            notify(
                recipient=recipient,
                kind="order.created",
                message=_("Contract %(number)s: %(qty)s kg of %(lot)s for %(total)s %(currency)s.")
                % {
                    "number": order.number,
                    "qty": quantity_kg,
                    "lot": locked.name,
                    "total": order.total,
                    "currency": currency,
                },
                url=url,
                dedupe_key=f"order-created-{order.pk}",
            )
    return order


def _order_move(
    *,
    order: Order,
    by: Any,
    to: str,
    allowed_actors: tuple[str, ...],
    fields: dict[str, Any],
    action: str,
    data: dict[str, Any] | None = None,
) -> tuple[Order, bool]:
    """Lock the order, check the actor and the transition, save. Returns (order, changed).

    ``allowed_actors`` names the parties who may make this move: "buyer", "seller", "moderator",
    "system" (no user: payments webhooks, periodic tasks). Already in ``to``: returns quietly.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if by is None:
        if "system" not in allowed_actors:
            raise PermissionDenied(_("This move needs a signed-in party."))
    else:
        roles = set()
        if by.pk == locked.buyer_id:
            roles.add("buyer")
        if by.pk == locked.seller_id:
            roles.add("seller")
        if getattr(by, "is_moderator", False):
            roles.add("moderator")
        if not roles & set(allowed_actors):
            raise PermissionDenied(_("You cannot do this on this order."))
    if locked.status == to:
        return locked, False
    if to not in ORDER_TRANSITIONS[locked.status]:
        raise Conflict(
            _("This order is %(status)s; it cannot become %(to)s.")
            % {"status": locked.get_status_display(), "to": OrderStatus(to).label},
            {"status": locked.status},
        )
    old = locked.status
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    _order_event(order=locked, by=by, action=action, data={"from": old, "to": to, **(data or {})})
    return locked, True


def _notify_other(*, order: Order, by: Any, kind: str, message: str, key: str = "") -> None:
    """Tell the party who did not move (both parties when the platform or a moderator moved).

    Each move happens once per order, so (kind, order) makes the dedupe key; claims add their id.
    """
    url = order_url(order)
    recipients = [u for u in (order.buyer, order.seller) if by is None or u.pk != by.pk]
    for recipient in recipients:
        notify(recipient=recipient, kind=kind, message=message, url=url, dedupe_key=f"{kind}-{order.pk}{key}")


def order_mark_paid(*, order: Order, by: Any | None = None, reference: str = "") -> Order:
    """Record the payment (the payments app calls this from its webhook; a moderator may too).

    The order's kilograms count as sold from now on: when every kilogram of the lot is sold,
    the lot is sold out. Lock order: lot, then order, as everywhere else.
    """
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=order.lot_id)
        order, changed = _order_move(
            order=order,
            by=by,
            to=OrderStatus.PAID,
            allowed_actors=("system", "moderator"),
            fields={"paid_at": timezone.now()},
            action="paid",
            data={"reference": reference},
        )
        if changed:
            _lot_kg_set(
                lot=lot,
                reserved_kg=lot.reserved_kg,
                sold_kg=min(lot.sold_kg + order.quantity_kg, lot.reserved_kg),
                by=by,
                reason=f"order {order.pk} paid",
            )
            _notify_other(
                order=order, by=by, kind="order.paid", message=_("Contract %(n)s is paid.") % {"n": order.number}
            )
    return order


DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def _read_document(upload: UploadedFile) -> tuple[str, bytes, str]:
    """Check a shipping document: (name, bytes, type). The type is read from its bytes, never its name."""
    if upload.size is not None and upload.size > conf.SHIPMENT_DOCUMENT_MAX_BYTES:
        raise ValidationError({"documents": _("A document may be at most 10 MB.")})
    data = upload.read(conf.SHIPMENT_DOCUMENT_MAX_BYTES + 1)
    kind = filetype.guess(data) if data else None
    mime = kind.mime if kind else ""
    if mime not in DOCUMENT_TYPES:
        raise ValidationError({"documents": _("Documents must be PDF, JPEG or PNG files.")})
    try:
        if mime == "application/pdf":
            check_pdf(data, max_bytes=conf.SHIPMENT_DOCUMENT_MAX_BYTES)
        else:
            # Kept byte for byte, but it must decode: no decompression bombs or truncated images.
            sanitize_image(data, max_bytes=conf.SHIPMENT_DOCUMENT_MAX_BYTES)
    except BadImage as e:
        raise ValidationError({"documents": str(e)}) from e
    return (upload.name or "document").rsplit("/", 1)[-1][:200], data, mime


def _store_document(*, order: Order, name: str, data: bytes, mime: str, by: Any) -> ShipmentDocument:
    """Store a checked shipping document privately."""
    doc = ShipmentDocument(
        order=order,
        name=name,
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=by,
    )
    doc.file.save("document", ContentFile(data), save=False)
    doc.save()
    return doc


def order_ship(
    *, order: Order, by: Any, courier: str, tracking: str, documents: list[UploadedFile] | None = None
) -> Order:
    """The producer records the shipment, with documents stored privately with their SHA-256."""
    courier, tracking = courier.strip(), tracking.strip()
    errors = {}
    if not courier:
        errors["courier"] = _("Say who carries the coffee.")
    if not tracking:
        errors["tracking"] = _("Give the tracking or bill-of-lading number.")
    if errors:
        raise ValidationError(errors)
    # Every document is checked before any is stored: storage writes do not roll back.
    checked = [_read_document(f) for f in documents or []]
    with transaction.atomic():
        order, changed = _order_move(
            order=order,
            by=by,
            to=OrderStatus.SHIPPED,
            allowed_actors=("seller",),
            fields={"shipped_at": timezone.now(), "courier": courier, "tracking": tracking},
            action="shipped",
            data={"courier": courier, "tracking": tracking},
        )
        if changed:
            hashes = [
                _store_document(order=order, name=name, data=data, mime=mime, by=by).sha256
                for name, data, mime in checked
            ]
            if hashes:
                _order_event(order=order, by=by, action="documents_added", data={"sha256": hashes})
            _notify_other(
                order=order,
                by=by,
                kind="order.shipped",
                message=_("Contract %(n)s has shipped with %(c)s (%(t)s).")
                % {"n": order.number, "c": courier, "t": tracking},
            )
    return order


def order_confirm_delivery(*, order: Order, by: Any) -> Order:
    """The roaster confirms the coffee arrived; the claim window starts now."""
    with transaction.atomic():
        order, changed = _order_move(
            order=order,
            by=by,
            to=OrderStatus.DELIVERED,
            allowed_actors=("buyer",),
            fields={"delivered_at": timezone.now()},
            action="delivered",
        )
        if changed:
            _notify_other(
                order=order,
                by=by,
                kind="order.delivered",
                message=_("The buyer confirmed delivery of contract %(n)s.") % {"n": order.number},
            )
    return order


def claim_deadline(order: Order) -> Any:
    if order.delivered_at is None:
        return None
    return order.delivered_at + datetime.timedelta(days=order.claim_window_days)


def claim_window_open(order: Order) -> bool:
    deadline = claim_deadline(order)
    return order.status == OrderStatus.DELIVERED and deadline is not None and timezone.now() <= deadline


def order_complete(*, order: Order, by: Any | None = None) -> Order:
    """Close a delivered order once its claim window has passed with no open claim."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.DELIVERED:
            if locked.claims.filter(status=ClaimStatus.OPEN).exists():
                raise Conflict(_("A quality claim on this order is still open."))
            deadline = claim_deadline(locked)
            if by is None and deadline is not None and timezone.now() < deadline:
                raise Conflict(_("The claim window is still open."))
        order, changed = _order_move(
            order=locked,
            by=by,
            to=OrderStatus.COMPLETED,
            allowed_actors=("system", "moderator", "buyer"),
            fields={"completed_at": timezone.now()},
            action="completed",
        )
        if changed:
            _notify_other(
                order=order,
                by=by,
                kind="order.completed",
                message=_("Contract %(n)s is complete.") % {"n": order.number},
            )
    return order


def order_cancel(*, order: Order, by: Any | None, reason: str) -> Order:
    """Cancel before shipment and give the quantity back to the lot.

    Either party may cancel while the order awaits payment; once it is paid, only a moderator
    (who then sees the money in the refunds to consider) or the system. Who may cancel is
    decided from the order as read under its row lock, never from the caller's copy: a payment
    that lands between the caller's read and the lock must not let a party cancel a paid order.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        # Lock order: lot first, then order, as order_create does, so the two never deadlock.
        lot = Lot.objects.select_for_update().get(pk=order.lot_id)
        current = Order.objects.select_for_update().get(pk=order.pk)
        was_paid = current.status == OrderStatus.PAID
        # A party may also repeat a cancel that already happened (a double submit): it is a no-op.
        allowed: tuple[str, ...] = (
            ("system", "moderator", "buyer", "seller")
            if current.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED)
            else ("system", "moderator")
        )
        order, changed = _order_move(
            order=current,
            by=by,
            to=OrderStatus.CANCELLED,
            allowed_actors=allowed,
            fields={"cancelled_at": timezone.now(), "cancel_reason": reason[:500]},
            action="cancelled",
            data={"reason": reason[:500]},
        )
        if changed:
            reserved = max(Decimal(0), lot.reserved_kg - order.quantity_kg)
            sold = max(Decimal(0), lot.sold_kg - order.quantity_kg) if was_paid else lot.sold_kg
            _lot_kg_set(
                lot=lot,
                reserved_kg=reserved,
                sold_kg=min(sold, reserved),
                by=by,
                reason=f"order {order.pk} cancelled",
            )
            _notify_other(
                order=order,
                by=by,
                kind="order.cancelled",
                message=_("Contract %(n)s was cancelled: %(r)s") % {"n": order.number, "r": reason[:200]},
            )
    return order


def claim_open(*, order: Order, by: Any, description: str) -> QualityClaim:
    """The buyer opens a quality claim within the claim window after delivery; moderators decide."""
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Describe what is wrong with the coffee.")})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if by.pk != locked.buyer_id:
            raise PermissionDenied(_("Only the buyer can open a quality claim."))
        if locked.status != OrderStatus.DELIVERED:
            raise Conflict(_("A quality claim can be opened only after delivery and before completion."))
        deadline = claim_deadline(locked)
        if deadline is None or timezone.now() > deadline:
            raise Conflict(
                _("The claim window of %(d)s days has closed.") % {"d": locked.claim_window_days},
                {"claim_deadline": deadline.isoformat() if deadline else None},
            )
        if locked.claims.filter(status=ClaimStatus.OPEN).exists():
            raise Conflict(_("A quality claim on this order is already open."))
        claim = QualityClaim.objects.create(order=locked, opened_by=by, description=description)
        _order_event(order=locked, by=by, action="claim_opened", data={"claim": claim.pk})
        _notify_other(
            order=locked,
            by=by,
            kind="order.claim_opened",
            message=_("The buyer opened a quality claim on contract %(n)s.") % {"n": locked.number},
            key=f"-{claim.pk}",
        )
        from accounts.models import Role, User

        for moderator in User.objects.filter(role=Role.MODERATOR, is_active=True):
            notify(
                recipient=moderator,
                kind="claim.opened",
                message=_("A quality claim on contract %(n)s needs a decision.") % {"n": locked.number},
                url=reverse("negotiation:claims"),
                dedupe_key=f"claim-opened-{claim.pk}",
            )
    return claim


def claim_resolve(*, claim: QualityClaim, by: Any, outcome: str, reason: str) -> QualityClaim:
    """A moderator decides a quality claim, with a reason both parties see."""
    if not getattr(by, "is_moderator", False):
        raise PermissionDenied(_("Only moderators decide quality claims."))
    reason = reason.strip()
    errors = {}
    if outcome not in ClaimOutcome.values:
        errors["outcome"] = _("Choose an outcome.")
    if not reason:
        errors["resolution"] = _("Give a reason.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        updated = QualityClaim.objects.filter(pk=claim.pk, status=ClaimStatus.OPEN).update(
            status=ClaimStatus.RESOLVED, outcome=outcome, resolution=reason, resolved_by=by, resolved_at=timezone.now()
        )
        claim = QualityClaim.objects.select_related("order__buyer", "order__seller").get(pk=claim.pk)
        if not updated:
            raise Conflict(_("This claim has already been decided."))
        order = claim.order
        _order_event(
            order=order, by=by, action="claim_resolved", data={"claim": claim.pk, "outcome": outcome, "reason": reason}
        )
        audit_log(actor=by, action="claim.resolved", target=claim, data={"outcome": outcome, "reason": reason})
        _notify_other(
            order=order,
            by=by,
            kind="order.claim_resolved",
            key=f"-{claim.pk}",
            message=_("The quality claim on contract %(n)s was decided: %(o)s.")
            % {"n": order.number, "o": ClaimOutcome(outcome).label},
        )
    return claim


# Negotiations and samples live in their own modules; re-exported so callers import from here.
from marketplace.negotiation.services_negotiation import (  # noqa: E402
    negotiation_accept,
    negotiation_counter,
    negotiation_expire,
    negotiation_open,
    negotiation_reject,
    negotiation_withdraw,
    negotiations_expire_due,
)
from marketplace.negotiation.services_samples import (  # noqa: E402
    sample_accept,
    sample_confirm_arrival,
    sample_decline,
    sample_feedback,
    sample_request,
    sample_ship,
    sample_terms_set,
)

__all__ = [
    "claim_open",
    "claim_resolve",
    "negotiation_accept",
    "negotiation_counter",
    "negotiation_expire",
    "negotiation_open",
    "negotiation_reject",
    "negotiation_withdraw",
    "negotiations_expire_due",
    "order_cancel",
    "order_complete",
    "order_confirm_delivery",
    "order_create",
    "order_mark_paid",
    "order_ship",
    "sample_accept",
    "sample_confirm_arrival",
    "sample_decline",
    "sample_feedback",
    "sample_request",
    "sample_ship",
    "sample_terms_set",
]
