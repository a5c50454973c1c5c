"""Reads of the auctions app. Nothing here reveals a reserve or another bidder's identity or maximum."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from lots.models import PUBLIC_STATUSES, Lot, LotTag
from marketplace.auctions import clock, conf
from marketplace.auctions.models import Auction, AuctionLot, AuctionStatus, Bid, BidKind, ClosingMode, ItemStatus
from marketplace.auctions.rules import minimum_next


class Standing:
    NONE = "none"
    LEADING = "leading"
    OUTBID = "outbid"
    WON = "won"
    LOST = "lost"


def auctions_public() -> QuerySet[Auction]:
    """Open and closed auctions (cancelled ones are not shown), newest first."""
    return (
        Auction.objects.exclude(status=AuctionStatus.CANCELLED)
        .prefetch_related(Prefetch("items", queryset=AuctionLot.objects.select_related("lot").order_by("position")))
        .order_by("-starts_at", "-id")
    )


def auctions_open() -> QuerySet[Auction]:
    return auctions_public().filter(status=AuctionStatus.OPEN)


def auction_get(pk: int) -> Auction | None:
    return auctions_public().filter(pk=pk).first()


def auction_phase(auction: Auction, now: datetime.datetime | None = None) -> str:
    now = now or clock.now()
    if auction.status != AuctionStatus.OPEN:
        return auction.status
    if now < auction.starts_at:
        return "upcoming"
    return "open"


def auction_manageable_by(auction: Auction, user: Any) -> bool:
    """The creator and moderators see reserves and may cancel."""
    return bool(
        getattr(user, "is_authenticated", False) and (user.role == "moderator" or user.pk == auction.created_by_id)
    )


def bidders_of(items: list[AuctionLot]) -> dict[int, set[int]]:
    """For each auctioned lot, the users who placed a bid on it (one query)."""
    out: dict[int, set[int]] = {item.pk: set() for item in items}
    rows = Bid.objects.filter(item__in=items, kind=BidKind.BID).values_list("item_id", "bidder_id").distinct()
    for item_id, bidder_id in rows:
        out[item_id].add(bidder_id)
    return out


def standing_of(item: AuctionLot, user: Any, bidders: set[int]) -> str:
    if not getattr(user, "is_authenticated", False) or user.pk not in bidders:
        return Standing.NONE
    leading = item.leader_id == user.pk
    if item.status == ItemStatus.SOLD:
        return Standing.WON if leading else Standing.LOST
    if item.status in (ItemStatus.UNSOLD, ItemStatus.CANCELLED):
        return Standing.LOST
    return Standing.LEADING if leading else Standing.OUTBID


def standing_label(standing: str) -> str:
    return {
        Standing.NONE: "",
        Standing.LEADING: _("You are leading"),
        Standing.OUTBID: _("You have been outbid"),
        Standing.WON: _("You won"),
        Standing.LOST: _("You did not win"),
    }[standing]


@dataclass(frozen=True)
class ItemView:
    """What a viewer may see of one auctioned lot right now."""

    item: AuctionLot
    phase: str
    current_price: Decimal | None
    minimum_bid: Decimal
    seconds_left: int | None
    standing: str
    standing_text: str
    my_max: Decimal | None
    reserve: Decimal | None  # only for the creator and moderators
    can_bid: bool


def item_views(
    auction: Auction, user: Any, now: datetime.datetime | None = None, bidders: dict[int, set[int]] | None = None
) -> list[ItemView]:
    """``bidders`` (from ``bidders_of`` over many auctions) saves a query per auction in lists."""
    now = now or clock.now()
    items = list(auction.items.all())
    if bidders is None:
        bidders = bidders_of(items)
    phase = auction_phase(auction, now)
    manager = auction_manageable_by(auction, user)
    is_roaster = getattr(user, "is_authenticated", False) and user.role == "roaster"
    increment = auction.increment
    views = []
    for item in items:
        standing = standing_of(item, user, bidders.get(item.pk, set()))
        item_phase = phase if item.status == ItemStatus.OPEN else item.status
        if item_phase == "open" and item.ends_at is not None and now >= item.ends_at:
            item_phase = "closing"
        # None: an event clock still waiting for every lot to get a bid, with no latest end.
        seconds_left: int | None = (
            None
            if item.ends_at is None
            else max(0, int((item.ends_at - now).total_seconds()))
            if item.status == ItemStatus.OPEN
            else 0
        )
        state_price = item.current_price_per_kg
        minimum = minimum_next(_state(item), increment)
        views.append(
            ItemView(
                item=item,
                phase=item_phase,
                current_price=state_price,
                minimum_bid=minimum,
                seconds_left=seconds_left,
                standing=standing,
                standing_text=standing_label(standing),
                my_max=item.leader_max_per_kg if standing == Standing.LEADING else None,
                reserve=item.reserve_price_per_kg if manager else None,
                can_bid=bool(item_phase == "open" and is_roaster and item.lot.producer_id != user.pk),
            )
        )
    return views


def _state(item: AuctionLot) -> Any:
    from marketplace.auctions.rules import LotState

    return LotState(opening=item.opening_price_per_kg, price=item.current_price_per_kg)


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    label: str
    kind: str
    kind_label: str
    amount: Decimal | None
    placed_at: datetime.datetime
    mine: bool


def bid_history(item: AuctionLot, viewer: Any) -> list[HistoryRow]:
    """The bid history with anonymous labels ("Bidder 1", …, in order of first bid).

    Public once the lot has closed; while it runs a bidder sees only their own rows. A raised
    maximum never shows its amount.
    """
    viewer_id = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    public = item.status != ItemStatus.OPEN
    labels: dict[int, str] = {}
    rows = []
    for bid in Bid.objects.filter(item=item).order_by("seq"):
        if bid.bidder_id not in labels:
            labels[bid.bidder_id] = _("Bidder %(n)s") % {"n": len(labels) + 1}
        mine = bid.bidder_id == viewer_id
        if not public and not mine:
            continue
        rows.append(
            HistoryRow(
                seq=bid.seq,
                label=_("You") if mine else labels[bid.bidder_id],
                kind=bid.kind,
                kind_label=bid.get_kind_display(),
                amount=None if bid.kind == BidKind.MAX_RAISE else bid.amount_per_kg,
                placed_at=bid.placed_at,
                mine=mine,
            )
        )
    return rows


def open_item_for_lot(lot: Lot) -> AuctionLot | None:
    return (
        AuctionLot.objects.select_related("auction")
        .filter(lot=lot, status=ItemStatus.OPEN, auction__status=AuctionStatus.OPEN)
        .first()
    )


def lot_auction_hold(lot_id: int) -> str | None:
    """Why a lot's weight, price, status and availability are frozen: it is on an open or scheduled
    auction (core.registry.register_lot_hold). Its bidders are bidding for it as it stands."""
    item = AuctionLot.objects.filter(lot_id=lot_id, status=ItemStatus.OPEN).select_related("auction").first()
    if item is None:
        return None
    return _(
        "This lot is on the auction “%(auction)s” until it closes: its weight, price and status cannot change "
        "meanwhile. An auction without bids can be cancelled first."
    ) % {"auction": item.auction.title}


def competition_lots() -> QuerySet[Lot]:
    """Public lots tagged for competition buyers, each with its open auction (if any) prefetched."""
    return (
        Lot.objects.filter(status__in=PUBLIC_STATUSES, tags__tag=conf.COMPETITION_TAG)
        .select_related("farm", "variety")
        .prefetch_related(
            Prefetch(
                "auction_items",
                queryset=AuctionLot.objects.filter(status=ItemStatus.OPEN).select_related("auction"),
                to_attr="open_auction_items",
            )
        )
        .order_by("-official_score", "-id")
        .distinct()
    )


def competition_auctions(*, running_only: bool = True) -> QuerySet[Auction]:
    """Auctions (open ones by default) with at least one nano-lot or competition-tagged lot."""
    tagged = LotTag.objects.filter(lot=OuterRef("lot"), tag=conf.COMPETITION_TAG)
    nano_items = AuctionLot.objects.filter(auction=OuterRef("pk")).filter(
        Q(lot__classification="nano") | Q(Exists(tagged))
    )
    base = auctions_open() if running_only else auctions_public()
    return base.filter(Exists(nano_items))


_PHASE_FOR_API = {"upcoming": "upcoming", "open": "open", "closed": "closed", "cancelled": "cancelled"}


def auction_representation(
    auction: Auction, user: Any, bidders: dict[int, set[int]] | None = None, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """The API's view of an auction for ``user``: public facts plus the caller's own standing."""
    now = now or clock.now()
    views = item_views(auction, user, now=now, bidders=bidders)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    lots: list[dict[str, Any]] = []
    for view in views:
        item = view.item
        sees_order = user_id is not None and user_id in (item.lot.producer_id, item.leader_id) and item.status == "sold"
        lots.append(
            {
                "id": item.pk,
                "lot": item.lot_id,
                "lot_name": item.lot.name,
                "quantity_kg": item.quantity_kg,
                "opening_price_per_kg": item.opening_price_per_kg,
                "current_price_per_kg": item.current_price_per_kg,
                "minimum_bid_per_kg": view.minimum_bid,
                "ends_at": item.ends_at,
                "status": view.phase,
                "unsold_reason": item.unsold_reason,
                "bid_count": item.bid_count,
                "reserve_met": item.reserve_met,
                "standing": view.standing,
                "my_max_per_kg": view.my_max,
                "reserve_price_per_kg": view.reserve,
                "order": item.order_id if sees_order else None,
            }
        )
    standings = {row["standing"] for row in lots} - {Standing.NONE}
    if not standings:
        standing = Standing.NONE
    elif len(lots) == 1:
        standing = str(lots[0]["standing"])
    elif Standing.OUTBID in standings:
        standing = Standing.OUTBID
    elif Standing.LEADING in standings:
        standing = Standing.LEADING
    elif Standing.WON in standings:
        standing = Standing.WON
    else:
        standing = Standing.LOST
    return {
        "id": auction.pk,
        "title": auction.title,
        "description": auction.description,
        "currency": auction.currency,
        "closing_mode": auction.closing_mode,
        "extension_minutes": auction.extension_minutes,
        "increment_per_kg": auction.increment_per_kg,
        "increment_table": auction.increment_table,
        "starts_at": auction.starts_at,
        "ends_at": _latest_end(auction, views),
        "clock_running": clock_running(auction),
        "status": _PHASE_FOR_API[auction_phase(auction, now)],
        "current_price_per_kg": lots[0]["current_price_per_kg"] if len(lots) == 1 else None,
        "standing": standing,
        "lots": lots,
    }


def clock_running(auction: Auction) -> bool:
    """Event clock only: every open lot has a bid, so all close together after the last bid."""
    if auction.closing_mode != ClosingMode.EVENT_CLOCK:
        return False
    open_items = [i for i in auction.items.all() if i.status == ItemStatus.OPEN]
    return bool(open_items) and all(i.bid_count > 0 for i in open_items)


def _latest_end(auction: Auction, views: list[ItemView]) -> datetime.datetime | None:
    ends = [i.item.ends_at for i in views if i.item.ends_at is not None]
    if auction.ends_at is not None:
        ends.append(auction.ends_at)
    if auction.closing_mode == ClosingMode.EVENT_CLOCK and clock_running(auction):
        # A running clock is the only end that matters; the latest end no longer closes anything.
        ends = [i.item.ends_at for i in views if i.item.ends_at is not None and i.item.status == ItemStatus.OPEN]
    return max(ends) if ends else None


def dashboard_items(user: Any, limit: int = 10) -> list[dict[str, Any]]:
    """The auctioned lots a roaster bid on, or a producer's own, newest first, with the standing."""
    if not getattr(user, "is_authenticated", False):
        return []
    qs = AuctionLot.objects.select_related("auction", "lot").order_by("-auction__starts_at", "-id")
    if user.role == "roaster":
        qs = qs.filter(Exists(Bid.objects.filter(item=OuterRef("pk"), bidder=user, kind=BidKind.BID)))
    elif user.role == "producer":
        qs = qs.filter(lot__producer=user).exclude(status=ItemStatus.CANCELLED)
    else:
        return []
    items = list(qs[:limit])
    bidders = bidders_of(items)
    return [
        {"item": item, "auction": item.auction, "standing": standing_of(item, user, bidders.get(item.pk, set()))}
        for item in items
    ]
