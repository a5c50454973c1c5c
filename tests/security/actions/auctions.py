"""Writes of auctions: creating, cancelling, bidding."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tests.security.actions.base import (
    Action,
    Ctx,
    becomes,
    every,
    pk,
)
from tests.security.matrix import (
    NOBODY,
    OWNER_MOD,
    ROASTERS,
)

ACTIONS: list[Action] = []
add = ACTIONS.append

# --- auctions -------------------------------------------------------------------------------------
# A listed lot with nothing under contract can be auctioned, by its producer or a moderator.
AUCTIONABLE = {"listed": OWNER_MOD} | every(
    ("draft", "submitted", "reserved", "sold_out", "on_auction", "withdrawn"), NOBODY
)
# ("submitted" is a listed lot too, but its pending claim makes no difference: keep one listed.)
AUCTIONABLE["submitted"] = OWNER_MOD


def _auctioned(c: Ctx) -> None:
    from marketplace.auctions.models import AuctionLot

    assert AuctionLot.objects.filter(lot=c.target, status="open", auction__title="Matrix auction").exists()


def _auction_api(c: Ctx) -> dict[str, Any]:
    now = timezone.now()
    return {
        "title": "Matrix auction",
        "increment_per_kg": "1",
        "starts_at": now.isoformat(),
        "ends_at": (now + datetime.timedelta(hours=1)).isoformat(),
        "lots": [{"lot": c.target.pk, "opening_price_per_kg": "100"}],
    }


def _auction_form(c: Ctx) -> dict[str, Any]:
    start = timezone.now() + datetime.timedelta(days=30)
    return {
        "title": "Matrix auction",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "closing_mode": "per_lot",
        "extension_minutes": 3,
        "currency": "USD",
        "increment_per_kg": "1",
        f"lot_{c.target.pk}": "on",
        f"opening_{c.target.pk}": "100",
    }


add(
    Action(
        "auction-list",
        "post",
        "lot",
        AUCTIONABLE,
        _auctioned,
        parties=OWNER_MOD,
        data=_auction_api,
        refusal_codes=frozenset({400}),
    )
)
add(
    Action(
        "auctions:create",
        "post",
        "lot",
        AUCTIONABLE,
        _auctioned,
        parties=OWNER_MOD,
        data=_auction_form,
        refusal_codes=frozenset({400}),  # a stranger's lot is not among the form's choices
    )
)
CANCELLABLE = {"scheduled": OWNER_MOD, "open": OWNER_MOD, "open_with_bids": NOBODY, "closed": NOBODY}
for _route in ("auction-cancel", "auctions:cancel"):
    add(Action(_route, "post", "auction", CANCELLABLE, becomes(status="cancelled"), parties=OWNER_MOD, kwargs=pk()))


def _bid_placed(c: Ctx) -> None:
    from django.db.models import Q

    from marketplace.auctions.models import Bid

    at_120 = Q(amount_per_kg=Decimal("120")) | Q(max_amount_per_kg=Decimal("120"))
    assert Bid.objects.filter(at_120, item=c.target.items.get(), bidder=c.user).exists(), "no bid of the caller"


# Roasters bid on a running auction (the leader raises their maximum); not before it starts or after.
BIDDABLE = {"open": ROASTERS, "open_with_bids": ROASTERS, "scheduled": NOBODY, "closed": NOBODY}
add(
    Action(
        "auction-bids",
        "post",
        "auction",
        BIDDABLE,
        _bid_placed,
        parties=ROASTERS,
        kwargs=pk(),
        data=lambda c: {"lot": c.target.items.get().pk, "amount_per_kg": "120"},
    )
)
add(
    Action(
        "auctions:bid",
        "post",
        "auction",
        BIDDABLE,
        _bid_placed,
        parties=ROASTERS,
        kwargs=lambda c: {"pk": c.target.pk, "item_pk": c.target.items.get().pk},
        data=lambda c: {"amount_per_kg": "120"},
    )
)
