"""The price rules alone: proxy bids, ties, increments and the reserve, without a database."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from marketplace.auctions.rules import BidRefused, Increment, LotState, apply_bid, minimum_next, replay

STEP = Increment(step=D("1"))


def test_first_bid_must_reach_the_opening_price():
    state = LotState(opening=D("100"))
    with pytest.raises(BidRefused) as refused:
        apply_bid(state, STEP, bidder=1, amount=D("99.99"))
    assert refused.value.code == "too_low" and refused.value.minimum == D("100")
    new, moves = apply_bid(state, STEP, bidder=1, amount=D("100"))
    assert (new.price, new.leader) == (D("100"), 1)
    assert [(m.bidder, m.amount, m.kind) for m in moves] == [(1, D("100"), "bid")]


def test_next_bid_needs_the_current_price_plus_the_increment():
    state, _ = apply_bid(LotState(opening=D("100")), STEP, bidder=1, amount=D("100"))
    with pytest.raises(BidRefused):
        apply_bid(state, STEP, bidder=2, amount=D("100.99"))
    new, _ = apply_bid(state, STEP, bidder=2, amount=D("101"))
    assert (new.price, new.leader) == (D("101"), 2)


def test_proxy_bids_by_the_increment_only_as_needed():
    state, _ = apply_bid(LotState(opening=D("100")), STEP, bidder=1, amount=D("100"), max_amount=D("150"))
    assert state.price == D("100")  # a maximum does not raise the price by itself
    state, moves = apply_bid(state, STEP, bidder=2, amount=D("110"))
    assert (state.price, state.leader) == (D("111"), 1)
    assert [(m.bidder, m.amount, m.kind) for m in moves] == [(2, D("110"), "bid"), (1, D("111"), "proxy")]
    state, moves = apply_bid(state, STEP, bidder=2, amount=D("120"), max_amount=D("200"))
    # Bidder 2's maximum beats 150, so they lead at one increment above it, not at their maximum.
    assert (state.price, state.leader, state.leader_max) == (D("151"), 2, D("200"))
    assert [(m.bidder, m.amount) for m in moves] == [(2, D("120")), (1, D("150")), (2, D("151"))]


def test_equal_maxima_the_earlier_bidder_wins():
    state, _ = apply_bid(LotState(opening=D("100")), STEP, bidder=1, amount=D("100"), max_amount=D("130"))
    state, moves = apply_bid(state, STEP, bidder=2, amount=D("105"), max_amount=D("130"))
    assert (state.price, state.leader) == (D("130"), 1)
    assert moves[-1].bidder == 1 and moves[-1].amount == D("130")
    # The later bidder needs one increment more to take the lead.
    with pytest.raises(BidRefused):
        apply_bid(state, STEP, bidder=2, amount=D("130"))
    state, _ = apply_bid(state, STEP, bidder=2, amount=D("131"))
    assert state.leader == 2


def test_increment_table_sets_the_step_by_price_level():
    table = Increment.from_data(D("1"), [["200", "5"], ["100", "2"]])
    assert [table.at(D(p)) for p in ("50", "99.99", "100", "199", "200", "999")] == [
        D(x) for x in ["1", "1", "2", "2", "5", "5"]
    ]
    state = LotState(opening=D("100"), price=D("150"), leader=1, leader_max=D("150"))
    assert minimum_next(state, table) == D("152")


def test_leader_only_raises_their_maximum_and_never_bids_against_themselves():
    state, _ = apply_bid(LotState(opening=D("100")), STEP, bidder=1, amount=D("100"))
    with pytest.raises(BidRefused) as refused:
        apply_bid(state, STEP, bidder=1, amount=D("101"), max_amount=D("100.5"))
    assert refused.value.code in ("already_leading", "max_below_amount")
    state, moves = apply_bid(state, STEP, bidder=1, amount=D("101"), max_amount=D("180"))
    assert (state.price, state.leader_max) == (D("100"), D("180"))
    assert moves[0].kind == "max_raise"


def test_price_rises_to_the_reserve_when_the_leaders_maximum_reaches_it():
    state = LotState(opening=D("100"), reserve=D("140"))
    state, _ = apply_bid(state, STEP, bidder=1, amount=D("100"), max_amount=D("120"))
    assert state.price == D("100") and not state.reserve_met
    state, moves = apply_bid(state, STEP, bidder=2, amount=D("110"), max_amount=D("160"))
    assert (state.price, state.leader) == (D("140"), 2) and state.reserve_met
    assert moves[-1].amount == D("140")


def test_replay_skips_refused_bids():
    final, refused = replay(
        LotState(opening=D("10")),
        STEP,
        [(1, D("10"), None), (2, D("10"), None), (2, D("11"), D("20")), (1, D("15"), None)],
    )
    assert refused == 1
    assert (final.price, final.leader) == (D("16"), 2)
