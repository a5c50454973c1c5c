"""Negotiations: a roaster's opening offer, then alternating counters until one side accepts,
rejects, the roaster withdraws or the offer on the table expires.

Every move locks the negotiation row, re-reads it, checks status, turn and party, then writes an
append-only ``NegotiationEvent`` and an audit row in the same transaction. Accepting also locks the
lot (lot first, then negotiation, the same order everywhere) and creates the order through
``order_create``, so the reservation and the acceptance commit together or not at all.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.money import Currency, Incoterm, PriceUnit, per_kg, quantize_price
from core.services import audit_log, notify
from lots.models import Lot, LotStatus
from marketplace.negotiation import conf
from marketplace.negotiation.models import (
    ACTIVE_NEGOTIATION,
    Negotiation,
    NegotiationEvent,
    NegotiationStatus,
    Offer,
    Order,
    OrderSource,
    Side,
)
from marketplace.negotiation.services import _lot_on_auction, order_create

Action = NegotiationEvent.Action


def negotiation_url(negotiation: Negotiation) -> str:
    return reverse("negotiation:negotiation_detail", args=[negotiation.pk])


def _clean_terms(
    *,
    lot: Lot,
    quantity_kg: Any,
    price: Any,
    currency: str,
    price_unit: str,
    incoterm: str,
    expires_at: datetime.datetime | None,
    available_kg: Decimal,
) -> dict[str, Any]:
    """Validate an offer's terms; every problem is reported against its field at once."""
    errors: dict[str, str] = {}
    try:
        qty = Decimal(str(quantity_kg))
        if not qty.is_finite() or qty <= 0:
            errors["quantity_kg"] = _("The quantity must be more than zero.")
        elif qty != qty.quantize(Decimal("0.01")):
            errors["quantity_kg"] = _("Use at most two decimal places.")
        elif qty > available_kg:
            errors["quantity_kg"] = _("At most %(kg)s kg of this lot are available.") % {"kg": available_kg}
    except (InvalidOperation, TypeError, ValueError):
        errors["quantity_kg"] = _("Enter a number.")
        qty = Decimal(0)
    try:
        amount = Decimal(str(price))
        if not amount.is_finite() or amount <= 0:
            errors["price"] = _("The price must be more than zero.")
        elif amount != amount.quantize(Decimal("0.0001")) or amount >= Decimal("1e10"):
            errors["price"] = _("Use at most four decimal places and a sensible amount.")
    except (InvalidOperation, TypeError, ValueError):
        errors["price"] = _("Enter a number.")
        amount = Decimal(0)
    if currency not in Currency.values:
        errors["currency"] = _("Choose a currency.")
    if price_unit not in PriceUnit.values:
        errors["price_unit"] = _("Choose per kg or per lb.")
    if incoterm not in Incoterm.values:
        errors["incoterm"] = _("Choose an incoterm.")
    now = timezone.now()
    if expires_at is None:
        expires_at = now + datetime.timedelta(days=conf.OFFER_DEFAULT_EXPIRY_DAYS)
    elif expires_at <= now:
        errors["expires_at"] = _("The expiry must be in the future.")
    elif expires_at > now + datetime.timedelta(days=conf.OFFER_MAX_EXPIRY_DAYS):
        errors["expires_at"] = _("An offer may stay open at most %(d)s days.") % {"d": conf.OFFER_MAX_EXPIRY_DAYS}
    if errors:
        raise ValidationError(errors)
    return {
        "quantity_kg": qty,
        "price": amount,
        "currency": currency,
        "price_unit": price_unit,
        "price_per_kg": quantize_price(per_kg(amount, price_unit)),
        "incoterm": incoterm,
        "expires_at": expires_at,
    }


def _event(
    *,
    negotiation: Negotiation,
    by: Any,
    action: str,
    offer: Offer | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> NegotiationEvent:
    event = NegotiationEvent.objects.create(
        negotiation=negotiation,
        actor=by if getattr(by, "is_authenticated", False) else None,
        action=action,
        offer=offer,
        note=note,
        data=data or {},
    )
    audit_log(
        actor=by,
        action=f"negotiation.{action}",
        target=negotiation,
        data={"offer": offer.pk if offer else None, "note": note, **(data or {})},
    )
    return event


def _tell(*, negotiation: Negotiation, recipient: Any, kind: str, message: str, key: str) -> None:
    notify(
        recipient=recipient,
        kind=kind,
        message=message,
        url=negotiation_url(negotiation),
        dedupe_key=f"negotiation-{negotiation.pk}-{key}",
    )


def negotiation_open(
    *,
    lot: Lot,
    by: Any,
    quantity_kg: Any,
    price: Any,
    currency: str,
    price_unit: str,
    incoterm: str,
    incoterm_place: str = "",
    shipment_window: str = "",
    condition: str = "",
    expires_at: datetime.datetime | None = None,
) -> Negotiation:
    """A roaster opens a negotiation on a listed lot with a first offer; the producer answers next."""
    if not getattr(by, "is_roaster", False):
        raise PermissionDenied(_("Only roasters can make offers."))
    with transaction.atomic():
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        if locked.status not in (LotStatus.LISTED, LotStatus.RESERVED):
            raise Conflict(_("This lot is not open for offers."), {"lot_status": locked.status})
        if _lot_on_auction(locked.pk):
            raise Conflict(_("This lot is on auction until the auction closes."), {"lot_status": "on_auction"})
        terms = _clean_terms(
            lot=locked,
            quantity_kg=quantity_kg,
            price=price,
            currency=currency,
            price_unit=price_unit,
            incoterm=incoterm,
            expires_at=expires_at,
            available_kg=locked.available_kg,
        )
        if Negotiation.objects.filter(lot=locked, buyer=by, status__in=ACTIVE_NEGOTIATION).exists():
            raise Conflict(_("You already have an open negotiation on this lot."))
        try:
            with transaction.atomic():
                negotiation = Negotiation.objects.create(
                    lot=locked, buyer=by, seller_id=locked.producer_id, turn=Side.SELLER, expires_at=terms["expires_at"]
                )
        except IntegrityError as e:
            raise Conflict(_("You already have an open negotiation on this lot.")) from e
        offer = Offer.objects.create(
            negotiation=negotiation,
            seq=1,
            by=by,
            side=Side.BUYER,
            incoterm_place=incoterm_place.strip()[:200],
            shipment_window=shipment_window.strip()[:200],
            condition=condition.strip()[:500],
            **terms,
        )
        negotiation.current_offer = offer
        negotiation.save(update_fields=["current_offer", "updated_at"])
        _event(negotiation=negotiation, by=by, action=Action.OPENED, offer=offer)
        _tell(
            negotiation=negotiation,
            recipient=negotiation.seller,
            kind="negotiation.opened",
            message=_("New offer on %(lot)s: %(qty)s kg at %(price)s %(cur)s/%(unit)s.")
            % {
                "lot": locked.name,
                "qty": offer.quantity_kg,
                "price": offer.price,
                "cur": offer.currency,
                "unit": offer.price_unit,
            },
            key="1",
        )
    return negotiation


def _lock_for_move(*, negotiation: Negotiation, by: Any, need_turn: bool) -> tuple[Negotiation, str]:
    """Re-read under lock and check: a party, still active, not expired, and (if needed) their turn."""
    locked = Negotiation.objects.select_for_update(of=("self",)).select_related("current_offer").get(pk=negotiation.pk)
    side = locked.side_of(by)
    if side is None:
        raise PermissionDenied(_("You are not a party to this negotiation."))
    if not locked.is_active:
        raise Conflict(
            _("This negotiation is %(status)s; nothing more can be done.") % {"status": locked.get_status_display()},
            {"status": locked.status},
        )
    if locked.expires_at <= timezone.now():
        raise Conflict(_("The offer on the table has expired."), {"status": "expired"})
    if need_turn and locked.turn != side:
        raise Conflict(_("It is the other party's turn."), {"turn": locked.turn})
    return locked, side


def negotiation_counter(
    *,
    negotiation: Negotiation,
    by: Any,
    quantity_kg: Any,
    price: Any,
    currency: str,
    price_unit: str,
    incoterm: str,
    incoterm_place: str = "",
    shipment_window: str = "",
    condition: str = "",
    expires_at: datetime.datetime | None = None,
) -> Negotiation:
    """The side whose turn it is puts a new offer on the table; it supersedes the last one."""
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=negotiation.lot_id)
        locked, side = _lock_for_move(negotiation=negotiation, by=by, need_turn=True)
        terms = _clean_terms(
            lot=lot,
            quantity_kg=quantity_kg,
            price=price,
            currency=currency,
            price_unit=price_unit,
            incoterm=incoterm,
            expires_at=expires_at,
            available_kg=lot.available_kg,
        )
        seq = (locked.current_offer.seq if locked.current_offer else 0) + 1
        offer = Offer.objects.create(
            negotiation=locked,
            seq=seq,
            by=by,
            side=side,
            incoterm_place=incoterm_place.strip()[:200],
            shipment_window=shipment_window.strip()[:200],
            condition=condition.strip()[:500],
            **terms,
        )
        locked.current_offer = offer
        locked.status = NegotiationStatus.COUNTERED
        locked.turn = Side.BUYER if side == Side.SELLER else Side.SELLER
        locked.expires_at = offer.expires_at
        # A fresh offer sized to what is left fits again.
        locked.no_longer_fits_at = None
        locked.save(update_fields=["current_offer", "status", "turn", "expires_at", "no_longer_fits_at", "updated_at"])
        _event(negotiation=locked, by=by, action=Action.COUNTERED, offer=offer)
        other = locked.seller if side == Side.BUYER else locked.buyer
        _tell(
            negotiation=locked,
            recipient=other,
            kind="negotiation.countered",
            message=_("Counter-offer on %(lot)s: %(qty)s kg at %(price)s %(cur)s/%(unit)s.")
            % {
                "lot": lot.name,
                "qty": offer.quantity_kg,
                "price": offer.price,
                "cur": offer.currency,
                "unit": offer.price_unit,
            },
            key=str(seq),
        )
    return locked


def negotiation_accept(*, negotiation: Negotiation, by: Any) -> Order:
    """Accept the offer on the table: the order is created and its quantity reserved, atomically.

    Lock order: lot, then negotiation (``order_create`` re-locks the lot, which is a no-op). Two
    acceptances on one lot therefore queue on the lot row; the second sees the first one's
    reservation and gets ``Conflict`` when it no longer fits, leaving nothing half-written.
    """
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=negotiation.lot_id)
        locked, side = _lock_for_move(negotiation=negotiation, by=by, need_turn=True)
        offer = locked.current_offer
        assert offer is not None
        if offer.quantity_kg > lot.available_kg:
            raise Conflict(
                _("Only %(kg)s kg of this lot are still available; counter with a smaller quantity.")
                % {"kg": lot.available_kg},
                {"available_kg": str(lot.available_kg), "offer_kg": str(offer.quantity_kg)},
            )
        conditions = offer.condition
        order = order_create(
            lot=lot,
            buyer=locked.buyer,
            seller=locked.seller,
            quantity_kg=offer.quantity_kg,
            price_per_kg=offer.price_per_kg,
            price=offer.price,
            price_unit=offer.price_unit,
            currency=offer.currency,
            incoterm=offer.incoterm,
            incoterm_place=offer.incoterm_place,
            shipment_window=offer.shipment_window,
            conditions=conditions,
            source=OrderSource.NEGOTIATION,
            source_id=locked.pk,
            by=by,
        )
        locked.status = NegotiationStatus.ACCEPTED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        _event(negotiation=locked, by=by, action=Action.ACCEPTED, offer=offer, data={"order": order.pk})
        other = locked.seller if side == Side.BUYER else locked.buyer
        _tell(
            negotiation=locked,
            recipient=other,
            kind="negotiation.accepted",
            message=_("Your offer on %(lot)s was accepted: contract %(n)s.") % {"lot": lot.name, "n": order.number},
            key="accepted",
        )
        _flag_others_that_no_longer_fit(lot=lot, except_pk=locked.pk)
    return order


def _flag_others_that_no_longer_fit(*, lot: Lot, except_pk: int) -> None:
    """Tell both parties of every other live negotiation whose offer now exceeds what is left.

    They stay open: the side whose turn it is can counter with a smaller quantity (or reject).
    """
    available = lot.available_kg
    now = timezone.now()
    others = (
        Negotiation.objects.select_for_update(of=("self",))
        .filter(lot=lot, status__in=ACTIVE_NEGOTIATION, no_longer_fits_at__isnull=True)
        .exclude(pk=except_pk)
        .select_related("current_offer", "buyer", "seller")
    )
    for other in others:
        if other.current_offer is None or other.current_offer.quantity_kg <= available:
            continue
        other.no_longer_fits_at = now
        other.save(update_fields=["no_longer_fits_at", "updated_at"])
        _event(
            negotiation=other,
            by=None,
            action=Action.NO_LONGER_FITS,
            offer=other.current_offer,
            data={"available_kg": str(available)},
        )
        for recipient in (other.buyer, other.seller):
            _tell(
                negotiation=other,
                recipient=recipient,
                kind="negotiation.no_longer_fits",
                message=_("Another contract took part of %(lot)s: only %(kg)s kg are left, less than this offer.")
                % {"lot": lot.name, "kg": available},
                key=f"nofit-{other.current_offer.seq}",
            )


def negotiation_reject(*, negotiation: Negotiation, by: Any, note: str = "") -> Negotiation:
    """The side whose turn it is turns the offer down; the negotiation ends."""
    with transaction.atomic():
        locked, side = _lock_for_move(negotiation=negotiation, by=by, need_turn=True)
        locked.status = NegotiationStatus.REJECTED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        _event(negotiation=locked, by=by, action=Action.REJECTED, offer=locked.current_offer, note=note.strip()[:500])
        other = locked.seller if side == Side.BUYER else locked.buyer
        _tell(
            negotiation=locked,
            recipient=other,
            kind="negotiation.rejected",
            message=_("Your offer on %(lot)s was rejected.") % {"lot": locked.lot.name},
            key="rejected",
        )
    return locked


def negotiation_withdraw(*, negotiation: Negotiation, by: Any, note: str = "") -> Negotiation:
    """The roaster withdraws, whoever's turn it is."""
    with transaction.atomic():
        locked, side = _lock_for_move(negotiation=negotiation, by=by, need_turn=False)
        if side != Side.BUYER:
            raise PermissionDenied(_("Only the roaster can withdraw; the producer can reject."))
        locked.status = NegotiationStatus.WITHDRAWN
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        _event(negotiation=locked, by=by, action=Action.WITHDRAWN, offer=locked.current_offer, note=note.strip()[:500])
        _tell(
            negotiation=locked,
            recipient=locked.seller,
            kind="negotiation.withdrawn",
            message=_("The roaster withdrew from the negotiation on %(lot)s.") % {"lot": locked.lot.name},
            key="withdrawn",
        )
    return locked


def negotiation_expire(*, negotiation_id: int) -> bool:
    """Expire one negotiation whose offer is past its expiry. Safe to run twice: False if nothing to do."""
    with transaction.atomic():
        locked = (
            Negotiation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("lot", "buyer", "seller")
            .filter(pk=negotiation_id, status__in=ACTIVE_NEGOTIATION, expires_at__lte=timezone.now())
            .first()
        )
        if locked is None:
            return False
        locked.status = NegotiationStatus.EXPIRED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        _event(negotiation=locked, by=None, action=Action.EXPIRED, offer=locked.current_offer)
        for recipient in (locked.buyer, locked.seller):
            _tell(
                negotiation=locked,
                recipient=recipient,
                kind="negotiation.expired",
                message=_("The offer on %(lot)s expired without an answer.") % {"lot": locked.lot.name},
                key="expired",
            )
    return True


def negotiations_expire_due(*, limit: int = 500) -> int:
    """Expire every negotiation past its offer's expiry (the periodic task calls this)."""
    ids = list(
        Negotiation.objects.filter(status__in=ACTIVE_NEGOTIATION, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if negotiation_expire(negotiation_id=pk))
