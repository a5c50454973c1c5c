"""The price rules of an ascending auction with proxy bids, as pure functions.

No database and no clock: the service applies these under a row lock, and tests replay accepted
bids through the same rules to check that concurrency lost nothing.

A proxy bid leaves a maximum; the system bids for its owner by the minimum increment only as
needed. Of two equal maxima, the earlier one wins. When the leader's maximum reaches a hidden
reserve, the price rises to the reserve at once (otherwise a leader willing to pay the reserve
would lose the lot for want of a bid).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any


class BidKind:
    BID = "bid"  # placed by the bidder
    PROXY = "proxy"  # placed by the system for a bidder's maximum
    MAX_RAISE = "max_raise"  # the leader raised their own maximum; the price does not move


@dataclass(frozen=True)
class Increment:
    """A fixed step, or a table of steps by price level: ``((from_price, step), ...)``."""

    step: Decimal
    table: tuple[tuple[Decimal, Decimal], ...] = ()

    @classmethod
    def from_data(cls, step: Decimal, table: Iterable[Sequence[Any]] | None) -> Increment:
        rows = tuple(sorted((Decimal(str(a)), Decimal(str(b))) for a, b in (table or ())))
        return cls(step=Decimal(step), table=rows)

    def at(self, price: Decimal) -> Decimal:
        step = self.step
        for level, level_step in self.table:
            if price >= level:
                step = level_step
            else:
                break
        return step


@dataclass(frozen=True)
class LotState:
    opening: Decimal
    price: Decimal | None = None  # the standing price; None before the first bid
    leader: Any = None  # a user id
    leader_max: Decimal | None = None
    reserve: Decimal | None = None

    @property
    def reserve_met(self) -> bool:
        return self.reserve is None or (self.price is not None and self.price >= self.reserve)


@dataclass(frozen=True)
class Move:
    """One row of bid history produced by a bid."""

    bidder: Any
    amount: Decimal
    kind: str
    max_amount: Decimal | None = None


class BidRefused(Exception):
    def __init__(self, code: str, minimum: Decimal | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.minimum = minimum


def minimum_next(state: LotState, increment: Increment) -> Decimal:
    if state.price is None:
        return state.opening
    return state.price + increment.at(state.price)


def apply_bid(
    state: LotState, increment: Increment, *, bidder: Any, amount: Decimal, max_amount: Decimal | None = None
) -> tuple[LotState, list[Move]]:
    """The state after ``bidder`` bids ``amount`` (with an optional maximum), and the history rows."""
    if amount <= 0:
        raise BidRefused("not_positive")
    if max_amount is not None and max_amount < amount:
        raise BidRefused("max_below_amount")
    ceiling = amount if max_amount is None else max_amount

    if state.leader is not None and state.leader == bidder:
        # A leader never bids against themselves: they may only raise their maximum.
        assert state.leader_max is not None and state.price is not None
        if ceiling <= state.leader_max or ceiling < minimum_next(state, increment):
            raise BidRefused("already_leading", minimum_next(state, increment))
        new = replace(state, leader_max=ceiling)
        moves = [Move(bidder, state.price, BidKind.MAX_RAISE, ceiling)]
        return _meet_reserve(new, moves)

    minimum = minimum_next(state, increment)
    if amount < minimum:
        raise BidRefused("too_low", minimum)
    moves = [Move(bidder, amount, BidKind.BID, max_amount)]

    if state.leader is None:
        return _meet_reserve(replace(state, price=amount, leader=bidder, leader_max=ceiling), moves)

    leader, leader_max = state.leader, state.leader_max
    assert leader_max is not None
    if ceiling > leader_max:
        # The challenger wins. The old leader's proxy had gone to its maximum on the way.
        if amount <= leader_max:
            moves.append(Move(leader, leader_max, BidKind.PROXY))
            price = max(amount, min(ceiling, leader_max + increment.at(leader_max)))
            if price > amount:
                moves.append(Move(bidder, price, BidKind.PROXY))
        else:
            price = amount
        return _meet_reserve(replace(state, price=price, leader=bidder, leader_max=ceiling), moves)

    # The leader holds (equal maxima: the earlier one wins). The challenger's proxy goes to its
    # maximum, and the leader's proxy answers by one increment, never beyond its own maximum.
    if ceiling > amount:
        moves.append(Move(bidder, ceiling, BidKind.PROXY))
    price = min(leader_max, ceiling + increment.at(ceiling))
    moves.append(Move(leader, price, BidKind.PROXY))
    return _meet_reserve(replace(state, price=price), moves)


def _meet_reserve(state: LotState, moves: list[Move]) -> tuple[LotState, list[Move]]:
    if (
        state.reserve is not None
        and state.price is not None
        and state.leader_max is not None
        and state.price < state.reserve <= state.leader_max
    ):
        moves = [*moves, Move(state.leader, state.reserve, BidKind.PROXY)]
        state = replace(state, price=state.reserve)
    return state, moves


def replay(
    state: LotState, increment: Increment, bids: Iterable[tuple[Any, Decimal, Decimal | None]]
) -> tuple[LotState, int]:
    """Apply bids in order, skipping refused ones; returns the final state and how many were refused."""
    refused = 0
    for bidder, amount, max_amount in bids:
        try:
            state, _moves = apply_bid(state, increment, bidder=bidder, amount=amount, max_amount=max_amount)
        except BidRefused:
            refused += 1
    return state, refused
