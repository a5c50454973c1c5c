"""Writes of the auctions app: create, bid, close, cancel, and competition tagging.

Every bid and every close locks the auction row first (``select_for_update``), so bids on any lot
of one event are applied one at a time in a single order: no bid is lost, the price shown is
always right, and the event clock can move every lot's end in the same transaction.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from core.errors import Conflict
from core.services import audit_log, notify
from lots.models import PUBLIC_STATUSES, Classification, Lot, LotStatus, LotTag, TagSource
from marketplace.auctions import clock, conf
from marketplace.auctions.models import (
    Auction,
    AuctionLot,
    AuctionStatus,
    Bid,
    ClosingMode,
    ItemStatus,
    UnsoldReason,
)
from marketplace.auctions.rules import BidRefused, LotState, Move, apply_bid

logger = logging.getLogger(__name__)

PRICE_PLACES = Decimal("0.0001")


# --- helpers ----------------------------------------------------------------------------------


def _price(value: Any, field: str, *, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")})
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({field: _("Enter an amount above zero.")})
    if amount != amount.quantize(PRICE_PLACES) or amount >= Decimal("1e10"):
        raise ValidationError({field: _("Use at most four decimal places and ten digits.")})
    return amount


def _required_price(value: Any, field: str) -> Decimal:
    amount = _price(value, field)
    assert amount is not None  # _price raises for a missing required value
    return amount


def _lot_status(*, lot: Lot, to: str, by: Any, reason: str) -> None:
    """Move a lot through the lots app's guarded transition, as the system acting for the auction.

    Audited there, and subject to the same guard as every other move: the lot must not be held,
    so the auction moves its lot before it holds it (create) and after it lets go (cancel, close).
    """
    from lots.services import lot_transition

    lot_transition(lot=lot, to=to, by=by, reason=reason, system=True)


def _lot_release(*, lot: Lot, by: Any, reason: str) -> None:
    """The auction let go of the lot: listed again if kilograms are left, else reserved or sold out."""
    from lots.services import lot_status_sync

    lot_status_sync(lot=lot, by=by, reason=reason)


def _parse_increment_table(rows: Iterable[Sequence[Any]] | None) -> list[list[str]]:
    out: list[tuple[Decimal, Decimal]] = []
    for row in rows or ():
        if len(row) != 2:
            raise ValidationError({"increment_table": _("Each step needs a price level and an increment.")})
        out.append((_required_price(row[0], "increment_table"), _required_price(row[1], "increment_table")))
    levels = [level for level, _step in out]
    if len(set(levels)) != len(levels):
        raise ValidationError({"increment_table": _("Each price level may appear only once.")})
    return [[str(level), str(step)] for level, step in sorted(out)]


# --- create and cancel ------------------------------------------------------------------------


@dataclass(frozen=True)
class LotOffer:
    """One lot to put up: its opening price and an optional hidden reserve (per kg)."""

    lot: Lot | int
    opening_price_per_kg: Any
    reserve_price_per_kg: Any = None


def auction_create(
    *,
    by: Any,
    title: str,
    lots: Sequence[LotOffer],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None,
    increment_per_kg: Any,
    increment_table: Iterable[Sequence[Any]] | None = None,
    closing_mode: str = ClosingMode.PER_LOT,
    extension_minutes: int = conf.DEFAULT_EXTENSION_MINUTES,
    currency: str = "USD",
    description: str = "",
) -> Auction:
    """Put listed lots up for auction: a producer their own lots, a moderator any (a multi-lot event).

    The lots become reserved for the auction, so nobody can buy them elsewhere meanwhile.
    """
    if not getattr(by, "is_authenticated", False) or by.role not in (Role.PRODUCER, Role.MODERATOR):
        raise PermissionDenied(_("Only producers and moderators can create auctions."))
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("This field is required."))
    if closing_mode not in ClosingMode.values:
        errors.setdefault("closing_mode", []).append(_("Unknown closing mode."))
    if not isinstance(extension_minutes, int) or not 1 <= extension_minutes <= 60:
        errors.setdefault("extension_minutes", []).append(_("Between 1 and 60 minutes."))
    now = clock.now()
    if starts_at is None:
        errors.setdefault("starts_at", []).append(_("Give a start."))
    elif ends_at is None:
        # The event clock needs no end: it runs once every lot has a bid (DOMAIN.md §9).
        if closing_mode != ClosingMode.EVENT_CLOCK:
            errors.setdefault("ends_at", []).append(_("Give an end (only the event clock can run without one)."))
    elif ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The end must be after the start."))
    elif ends_at <= now:
        errors.setdefault("ends_at", []).append(_("The end must be in the future."))
    if not lots:
        errors.setdefault("lots", []).append(_("Choose at least one lot."))
    if errors:
        raise ValidationError(errors)
    increment = _required_price(increment_per_kg, "increment_per_kg")
    table = _parse_increment_table(increment_table)
    prices = []
    for offer in lots:
        opening = _required_price(offer.opening_price_per_kg, "opening_price_per_kg")
        reserve = _price(offer.reserve_price_per_kg, "reserve_price_per_kg", required=False)
        if reserve is not None and opening is not None and reserve < opening:
            raise ValidationError({"reserve_price_per_kg": _("The reserve cannot be below the opening price.")})
        prices.append((offer.lot if isinstance(offer.lot, int) else offer.lot.pk, opening, reserve))
    lot_ids = [lot_id for lot_id, _o, _r in prices]
    if len(set(lot_ids)) != len(lot_ids):
        raise ValidationError({"lots": _("A lot can appear only once.")})

    with transaction.atomic():
        # Lock in id order so two auctions created at once over the same lots cannot deadlock.
        locked = {lot.pk: lot for lot in Lot.objects.select_for_update().filter(pk__in=lot_ids).order_by("pk")}
        for lot_id in lot_ids:
            lot = locked.get(lot_id)
            if lot is None:
                raise ValidationError({"lots": _("Unknown lot.")})
            if by.role == Role.PRODUCER and lot.producer_id != by.pk:
                raise PermissionDenied(_("You can only auction your own lots."))
            if lot.status != LotStatus.LISTED:
                raise Conflict(_("Only listed lots can be auctioned."), extra={"lot": lot.pk, "status": lot.status})
            if lot.available_kg <= 0:
                raise Conflict(_("This lot has nothing left to sell."), extra={"lot": lot.pk})
            if AuctionLot.objects.filter(lot=lot, status=ItemStatus.OPEN).exists():
                raise Conflict(_("This lot is already on an auction."), extra={"lot": lot.pk})
        auction = Auction(
            title=title[:200],
            description=description or "",
            created_by=by,
            currency=currency,
            closing_mode=closing_mode,
            extension_minutes=extension_minutes,
            increment_per_kg=increment,
            increment_table=table,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        auction.full_clean()
        auction.save()
        for position, (lot_id, opening, reserve) in enumerate(prices, start=1):
            lot = locked[lot_id]
            # Reserved first: once the auction lot exists it holds the lot, and nothing (this
            # service included) changes a held lot's status until the auction lets go.
            _lot_status(lot=lot, to=LotStatus.RESERVED, by=by, reason=f"auction {auction.pk}")
            AuctionLot.objects.create(
                auction=auction,
                lot=lot,
                position=position,
                quantity_kg=lot.available_kg,
                opening_price_per_kg=opening,
                reserve_price_per_kg=reserve,
                ends_at=ends_at,
            )
        audit_log(
            actor=by,
            action="auction.created",
            target=auction,
            data={"lots": lot_ids, "closing_mode": closing_mode, "ends_at": ends_at.isoformat() if ends_at else None},
        )
    return auction


def auction_cancel(*, auction: Auction | int, by: Any, reason: str = "") -> Auction:
    """Cancel an auction nobody has bid on yet (its creator or a moderator); its lots return to listed."""
    auction_id = auction if isinstance(auction, int) else auction.pk
    with transaction.atomic():
        locked = Auction.objects.select_for_update().get(pk=auction_id)
        if not getattr(by, "is_authenticated", False) or not (
            by.role == Role.MODERATOR or by.pk == locked.created_by_id
        ):
            raise PermissionDenied(_("Only the creator or a moderator can cancel this auction."))
        if locked.status == AuctionStatus.CANCELLED:
            return locked
        if locked.status != AuctionStatus.OPEN:
            raise Conflict(_("This auction has already closed."))
        items = list(locked.items.select_related("lot"))
        if any(item.bid_count for item in items):
            raise Conflict(_("An auction with bids cannot be cancelled."))
        now = clock.now()
        for item in items:
            item.status = ItemStatus.CANCELLED
            item.closed_at = now
            item.save(update_fields=["status", "closed_at"])
            _lot_release(lot=item.lot, by=by, reason=f"auction {locked.pk} cancelled")
        locked.status = AuctionStatus.CANCELLED
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        audit_log(actor=by, action="auction.cancelled", target=locked, data={"reason": reason[:500]})
    return locked


# --- bidding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidResult:
    item: AuctionLot
    bids: list[Bid]
    leading: bool


_REFUSALS = {
    "too_low": lambda minimum: _("Bid at least %(minimum)s per kg.") % {"minimum": minimum},
    "already_leading": lambda minimum: _(
        "You are already leading; to raise your maximum, give a maximum above your current one."
    ),
    "max_below_amount": lambda minimum: _("Your maximum cannot be below your bid."),
    "not_positive": lambda minimum: _("Enter an amount above zero."),
}


def bid_place(
    *,
    item: AuctionLot | int,
    bidder: Any,
    amount_per_kg: Any,
    max_amount_per_kg: Any = None,
) -> BidResult:
    """Place a bid (with an optional proxy maximum) on one lot of an auction, at server time.

    Validated under the auction's row lock: the auction is open and not ended, the amount is at
    least the current price plus the increment, and the bidder is a roaster who does not own the lot.
    A bid in the closing window extends the end (per lot) or resets the event clock (all lots).
    """
    amount = _required_price(amount_per_kg, "amount_per_kg")
    ceiling = _price(max_amount_per_kg, "max_amount_per_kg", required=False)
    if not getattr(bidder, "is_authenticated", False) or bidder.role != Role.ROASTER or not bidder.is_active:
        raise PermissionDenied(_("Only roasters can bid."))
    item_id = item if isinstance(item, int) else item.pk
    auction_id = AuctionLot.objects.filter(pk=item_id).values_list("auction_id", flat=True).first()
    if auction_id is None:
        raise ValidationError({"item": _("Unknown auction lot.")})

    with transaction.atomic():
        auction = Auction.objects.select_for_update().get(pk=auction_id)
        now = clock.now()
        items = list(auction.items.select_related("lot", "leader").order_by("position", "id"))
        current = next(i for i in items if i.pk == item_id)
        if current.lot.producer_id == bidder.pk:
            raise PermissionDenied(_("You cannot bid on your own lot."))
        if auction.status != AuctionStatus.OPEN or current.status != ItemStatus.OPEN:
            raise Conflict(_("This auction is closed."), extra={"status": current.status})
        if now < auction.starts_at:
            raise Conflict(_("This auction has not started yet."), extra={"starts_at": auction.starts_at.isoformat()})
        if auction.closing_mode == ClosingMode.EVENT_CLOCK and _event_clock_latest_end_passed(auction, items, now):
            # The sweep has not reached this auction yet: settle the latest end first, exactly as
            # it would, so a bid can never land on a lot that has already closed unsold.
            _event_clock_settle(auction, items, now)
            current = next(i for i in items if i.pk == item_id)
            if current.status != ItemStatus.OPEN:
                raise Conflict(_("This auction is closed."), extra={"status": current.status})
        if current.ends_at is not None and now >= current.ends_at:
            raise Conflict(_("Bidding on this lot has ended."), extra={"ends_at": current.ends_at.isoformat()})

        state = LotState(
            opening=current.opening_price_per_kg,
            price=current.current_price_per_kg,
            leader=current.leader_id,
            leader_max=current.leader_max_per_kg,
            reserve=current.reserve_price_per_kg,
        )
        try:
            new_state, moves = apply_bid(state, auction.increment, bidder=bidder.pk, amount=amount, max_amount=ceiling)
        except BidRefused as refused:
            field = "max_amount_per_kg" if refused.code in ("max_below_amount", "already_leading") else "amount_per_kg"
            minimum = refused.minimum.quantize(PRICE_PLACES) if refused.minimum is not None else None
            raise ValidationError({field: _REFUSALS[refused.code](minimum)}, code=refused.code)

        bids = _record_moves(current, moves, now)
        previous_leader = current.leader
        current.current_price_per_kg = new_state.price
        current.leader_id = new_state.leader
        current.leader_max_per_kg = new_state.leader_max
        current.bid_count += len(bids)
        fields = ["current_price_per_kg", "leader", "leader_max_per_kg", "bid_count"]
        extension = datetime.timedelta(minutes=auction.extension_minutes)
        if auction.closing_mode == ClosingMode.PER_LOT:
            assert current.ends_at is not None and auction.ends_at is not None  # constraint: per-lot has an end
            if current.ends_at - now < extension:
                current.ends_at = now + extension
                fields.append("ends_at")
            current.save(update_fields=fields)
            if current.ends_at > auction.ends_at:
                auction.ends_at = current.ends_at
                auction.save(update_fields=["ends_at"])
        else:
            current.save(update_fields=fields)
            _event_clock_reset(auction, items, current, now, extension)
        audit_log(
            actor=bidder,
            action="auction.bid",
            target=auction,
            data={
                "item": current.pk,
                "amount": str(amount),
                "max": str(ceiling) if ceiling is not None else None,
                "price": str(current.current_price_per_kg),
                "leader": current.leader_id,
            },
        )
        if previous_leader is not None and previous_leader.pk != current.leader_id:
            _notify_outbid(previous_leader, auction, current)
    return BidResult(item=current, bids=bids, leading=current.leader_id == bidder.pk)


def _record_moves(item: AuctionLot, moves: list[Move], now: datetime.datetime) -> list[Bid]:
    rows = [
        Bid(
            item=item,
            bidder_id=move.bidder,
            seq=item.bid_count + n,
            kind=move.kind,
            amount_per_kg=move.amount,
            max_amount_per_kg=move.max_amount,
            placed_at=now,
        )
        for n, move in enumerate(moves, start=1)
    ]
    return Bid.objects.bulk_create(rows)


def _event_clock_reset(
    auction: Auction,
    items: list[AuctionLot],
    current: AuctionLot,
    now: datetime.datetime,
    extension: datetime.timedelta,
) -> None:
    """Once every open lot has a bid one clock runs for the event; any bid resets it for all lots.

    DOMAIN.md §9 (Cup of Excellence on M-Cultivo): while a lot has no bid the auction stays open;
    then all lots close together ``extension`` minutes after the last bid on any lot, however
    early that is. There is no scheduled end to snipe, so the clock ignores ``auction.ends_at``.
    """
    open_items = [i for i in items if i.status == ItemStatus.OPEN]
    if not all((current.bid_count if i.pk == current.pk else i.bid_count) > 0 for i in open_items):
        return
    new_end = now + extension
    AuctionLot.objects.filter(auction=auction, status=ItemStatus.OPEN).update(ends_at=new_end)
    for item in open_items:
        item.ends_at = new_end
    current.ends_at = new_end


def _event_clock_latest_end_passed(auction: Auction, items: list[AuctionLot], now: datetime.datetime) -> bool:
    """The optional latest end has come while some open lot still has no bid (no clock running)."""
    if auction.ends_at is None or now < auction.ends_at:
        return False
    return any(i.status == ItemStatus.OPEN and i.bid_count == 0 for i in items)


def _event_clock_settle(auction: Auction, items: list[AuctionLot], now: datetime.datetime) -> None:
    """At the latest end, lots without a bid close unsold and the clock starts for the rest.

    The clock starts at the latest end itself (not at whenever a sweep gets here), so the rest get
    exactly ``extension`` minutes whatever the sweep's delay; a running clock is never cut short.
    """
    assert auction.ends_at is not None
    start = auction.ends_at + datetime.timedelta(minutes=auction.extension_minutes)
    for item in items:
        if item.status != ItemStatus.OPEN:
            continue
        if item.bid_count == 0:
            _item_close(auction, item, now)
        elif item.ends_at is None or item.ends_at < start:
            item.ends_at = start
            item.save(update_fields=["ends_at"])


def _auction_url(auction: Auction) -> str:
    return reverse("auctions:detail", args=[auction.pk])


def _notify_outbid(user: Any, auction: Auction, item: AuctionLot) -> None:
    notify(
        recipient=user,
        kind="auction_outbid",
        message=_("You were outbid on %(lot)s in “%(auction)s”.") % {"lot": item.lot.name, "auction": auction.title},
        url=_auction_url(auction),
        # One notice per lot and price: repeated proxy fights do not flood the inbox.
        dedupe_key=f"auction-outbid-{item.pk}-{item.current_price_per_kg}",
        email=False,
    )


# --- closing ----------------------------------------------------------------------------------


def auctions_close_due(*, now: datetime.datetime | None = None) -> int:
    """Close every auctioned lot whose end has passed; returns how many lots this call closed.

    Safe to run on any number of workers at once: each auction is taken with
    ``select_for_update(skip_locked=True)`` (a busy one is left to the next sweep) and each lot
    is closed under that lock only if it is still open, so nothing closes twice.
    """
    now = now or clock.now()
    auction_ids = list(
        AuctionLot.objects.filter(status=ItemStatus.OPEN, ends_at__lte=now, auction__status=AuctionStatus.OPEN)
        .values_list("auction_id", flat=True)
        .distinct()
        .order_by("auction_id")
    )
    closed = 0
    for auction_id in auction_ids:
        try:
            with transaction.atomic():
                auction = (
                    Auction.objects.select_for_update(skip_locked=True)
                    .filter(pk=auction_id, status=AuctionStatus.OPEN)
                    .first()
                )
                if auction is None:
                    continue
                closed += _auction_close_items(auction, now)
        except Exception:
            # One broken auction must not stop the sweep for the others; it is retried next time.
            logger.exception("closing auction %s failed", auction_id)
    return closed


def _auction_close_items(auction: Auction, now: datetime.datetime) -> int:
    closed = 0
    if auction.closing_mode == ClosingMode.EVENT_CLOCK:
        every = list(auction.items.select_related("lot", "leader").order_by("pk"))
        if _event_clock_latest_end_passed(auction, every, now):
            closed += sum(1 for i in every if i.status == ItemStatus.OPEN and i.bid_count == 0)
            _event_clock_settle(auction, every, now)
    items = list(
        auction.items.select_related("lot", "leader").filter(status=ItemStatus.OPEN, ends_at__lte=now).order_by("pk")
    )
    for item in items:
        _item_close(auction, item, now)
    closed += len(items)
    if not auction.items.filter(status=ItemStatus.OPEN).exists():
        auction.status = AuctionStatus.CLOSED
        auction.closed_at = now
        auction.save(update_fields=["status", "closed_at"])
        audit_log(actor=None, action="auction.closed", target=auction, data={})
    return closed


def _item_close(auction: Auction, item: AuctionLot, now: datetime.datetime) -> None:
    item.closed_at = now
    lot = item.lot
    if item.leader_id is not None and item.reserve_met:
        try:
            # A savepoint: a refused order must not undo the close of the other lots.
            with transaction.atomic():
                order = _order_for(auction, item)
        except Conflict as exc:
            order = _existing_order(item)
            if order is None:
                logger.warning("auction lot %s: no order could be made: %s", item.pk, exc)
        if order is not None or not _orders_available():
            item.status = ItemStatus.SOLD
            item.order_id = getattr(order, "pk", None)
        else:
            # The lot was sold or withdrawn elsewhere meanwhile: nothing left to hand over.
            item.status = ItemStatus.UNSOLD
            item.unsold_reason = UnsoldReason.LOT_UNAVAILABLE
    else:
        item.status = ItemStatus.UNSOLD
        item.unsold_reason = UnsoldReason.NO_BIDS if item.leader_id is None else UnsoldReason.RESERVE_NOT_MET
    # Saved first: the item no longer holds the lot, so the lot's status can follow its kilograms
    # (the winner's order keeps it reserved; an unsold lot is listed again).
    item.save(update_fields=["status", "unsold_reason", "closed_at", "order_id"])
    _lot_release(lot=lot, by=None, reason=f"auction {auction.pk}: {item.status} {item.unsold_reason}".strip())
    audit_log(
        actor=None,
        action="auction.lot_closed",
        target=auction,
        data={
            "item": item.pk,
            "lot": lot.pk,
            "status": item.status,
            "reason": item.unsold_reason,
            "price": str(item.current_price_per_kg) if item.current_price_per_kg is not None else None,
            "winner": item.leader_id if item.status == ItemStatus.SOLD else None,
            "order": item.order_id,
        },
    )
    url = _auction_url(auction)
    if item.status == ItemStatus.SOLD and item.leader is not None:
        notify(
            recipient=item.leader,
            kind="auction_won",
            message=_("You won %(lot)s at %(price)s %(currency)s/kg.")
            % {"lot": lot.name, "price": item.current_price_per_kg, "currency": auction.currency},
            url=url,
            dedupe_key=f"auction-won-{item.pk}",
        )
    notify(
        recipient=lot.producer,
        kind="auction_lot_closed",
        message=(
            _("%(lot)s sold at auction for %(price)s %(currency)s/kg.")
            % {"lot": lot.name, "price": item.current_price_per_kg, "currency": auction.currency}
            if item.status == ItemStatus.SOLD
            else _("%(lot)s was not sold at auction (%(reason)s); it is listed again.")
            % {"lot": lot.name, "reason": item.get_unsold_reason_display()}
        ),
        url=url,
        dedupe_key=f"auction-closed-{item.pk}",
    )


def _orders_available() -> bool:
    try:
        from marketplace.negotiation.services import order_create  # noqa: F401
    except ImportError:
        return False
    return True


def _existing_order(item: AuctionLot) -> Any:
    try:
        from marketplace.negotiation.models import Order
    except ImportError:
        return None
    return Order.objects.filter(source="auction", source_id=item.pk).first()


def _order_for(auction: Auction, item: AuctionLot) -> Any:
    """The winner gets an order exactly like an accepted negotiation (one per auctioned lot)."""
    try:
        from marketplace.negotiation.services import order_create
    except ImportError:
        logger.warning("negotiation.order_create is not available; auction lot %s sold without an order", item.pk)
        return None
    lot = item.lot
    assert item.current_price_per_kg is not None  # a lot with a leader has a price
    return order_create(
        lot=lot,
        buyer=item.leader,
        seller=lot.producer,
        quantity_kg=item.quantity_kg,
        price_per_kg=item.current_price_per_kg,
        currency=auction.currency,
        incoterm=lot.incoterm,
        incoterm_place=lot.incoterm_place,
        source="auction",
        source_id=item.pk,
        by=None,
    )


# --- competition tagging ----------------------------------------------------------------------
#
# The ``competition`` tag on a nano-lot is the competition buyers' alert: automatic, added and
# removed by this code, and marked ``source="auto"``. A tag a moderator added, or the provenance tag
# of a verified competition result (marketplace.competitions), is never removed here: competition
# lots need not be nano-lots (DOMAIN.md §7).


def competition_thresholds() -> dict[str, Decimal]:
    """Protocol → the official score a nano-lot needs for the alert (conf.py documents each)."""
    thresholds = {"sca2004": conf.COMPETITION_MIN_SCORE}
    if conf.COMPETITION_MIN_SCORE_CVA is not None:
        thresholds["cva"] = conf.COMPETITION_MIN_SCORE_CVA
    return thresholds


def _qualifying_score(scores: dict[str, Decimal]) -> tuple[str, Decimal] | None:
    """The (protocol, score) that reaches its own protocol's threshold, SCA 2004 first."""
    for protocol, threshold in competition_thresholds().items():
        score = scores.get(protocol)
        if score is not None and score >= threshold:
            return protocol, score
    return None


def competition_qualifies(lot: Lot, scores: dict[str, Decimal] | None = None) -> bool:
    """A public nano-lot whose official score (independent graders only) reaches its protocol's threshold."""
    from marketplace.pricing.scores import lot_official_scores

    if lot.status not in PUBLIC_STATUSES or lot.classification != Classification.NANO:
        return False
    return _qualifying_score(scores if scores is not None else lot_official_scores(lot.pk)) is not None


def lot_competition_tag_refresh(*, lot_id: int) -> str:
    """Tag or untag one lot; returns "tagged", "untagged", "unchanged" or "missing".

    Gaining the tag notifies every roaster with competition alerts once per lot: the tag row and
    the notifications commit together under the lot's row lock, and ``notify``'s dedupe key is a
    unique constraint, so a second run (or a tag removed and regained) notifies nobody again.
    Only a tag this function added (``source="auto"``) is ever removed.
    """
    from marketplace.pricing.scores import lot_official_scores

    with transaction.atomic():
        lot = Lot.objects.select_for_update().filter(pk=lot_id).first()
        if lot is None:
            return "missing"
        scores = lot_official_scores(lot.pk)
        qualifying = _qualifying_score(scores) if competition_qualifies(lot, scores) else None
        if qualifying is not None:
            protocol, score = qualifying
            _tag, created = LotTag.objects.get_or_create(
                lot=lot, tag=conf.COMPETITION_TAG, defaults={"source": TagSource.AUTO}
            )
            # The alert is owed even when a person's tag was already there: notify dedupes.
            _notify_competition_buyers(lot, protocol, score)
            if not created:
                return "unchanged"
            audit_log(
                actor=None,
                action="lot.tagged",
                target=lot,
                data={"tag": conf.COMPETITION_TAG, "score": str(score), "protocol": protocol},
            )
            return "tagged"
        deleted, _detail = LotTag.objects.filter(lot=lot, tag=conf.COMPETITION_TAG, source=TagSource.AUTO).delete()
        if deleted:
            audit_log(actor=None, action="lot.untagged", target=lot, data={"tag": conf.COMPETITION_TAG})
            return "untagged"
        return "unchanged"


def _notify_competition_buyers(lot: Lot, protocol: str, score: Decimal) -> None:
    from accounts.selectors import competition_buyers
    from marketplace.pricing.models import protocol_label

    try:
        url = reverse("lots:detail", args=[lot.pk])
    except NoReverseMatch:  # the lots app's pages are optional for this app
        url = reverse("auctions:competition")
    message = _("Competition nano-lot: %(lot)s (%(kg)s kg, %(scale)s %(score)s).") % {
        "lot": lot.name,
        "kg": lot.weight_kg,
        "scale": protocol_label(protocol),
        "score": score,
    }
    for buyer in competition_buyers().only("pk", "email"):
        notify(
            recipient=buyer, kind="competition_lot", message=message, url=url, dedupe_key=f"competition-lot-{lot.pk}"
        )


def competition_sweep() -> dict[str, int]:
    """Re-check every lot that should gain or lose the alert tag (a safety net for missed signals).

    Candidates: public nano-lots with any official score (few), and every lot carrying an
    automatic tag. Tags from moderators or competition results are not the sweep's to remove.
    """
    from marketplace.pricing.scores import official_scores

    tagged_ids = set(
        LotTag.objects.filter(tag=conf.COMPETITION_TAG, source=TagSource.AUTO).values_list("lot_id", flat=True)
    )
    any_tag_ids = set(LotTag.objects.filter(tag=conf.COMPETITION_TAG).values_list("lot_id", flat=True))
    nano_ids = list(
        Lot.objects.filter(status__in=PUBLIC_STATUSES, classification=Classification.NANO).values_list("pk", flat=True)
    )
    qualifying_ids = {
        lot_id for lot_id, scores in official_scores(nano_ids).items() if _qualifying_score(scores) is not None
    }
    counts = {"tagged": 0, "untagged": 0, "unchanged": 0, "missing": 0}
    # Untagged qualifying lots gain the tag; automatic tags of lots that no longer qualify go. (A
    # qualifying lot with a person's tag got its alert from the per-lot refresh its score change ran.)
    for lot_id in sorted((qualifying_ids - any_tag_ids) | (tagged_ids - qualifying_ids)):
        counts[lot_competition_tag_refresh(lot_id=lot_id)] += 1
    return counts
