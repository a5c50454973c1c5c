"""Writes of the trade: samples, negotiations (offers and turns), orders and quality claims."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.security.actions.base import (
    BUYER,
    OFFER,
    Action,
    Ctx,
    becomes,
    caller,
    creates,
    every,
    payload,
    pk,
    stateless,
    target,
)
from tests.security.matrix import (
    MOD,
    NOBODY,
    OWNER,
    PARTIES,
    PRODUCERS,
    ROASTERS,
)

ACTIONS: list[Action] = []
add = ACTIONS.append

# --- samples --------------------------------------------------------------------------------------
SAMPLEABLE = every(("submitted", "listed", "reserved", "on_auction"), ROASTERS) | every(
    ("draft", "sold_out", "withdrawn"), NOBODY
)
add(
    Action(
        "samples-list",
        "post",
        "lot",
        SAMPLEABLE,
        creates("negotiation.SampleRequest", lot=target, roaster=caller, message="matrix sample"),
        parties=ROASTERS,
        data=lambda c: {"lot": c.target.pk, "sample_type": "offer", "grams": 250, "message": "matrix sample"},
        refusal_codes=frozenset({400}),  # a private lot is refused like one that does not exist
    )
)
add(
    Action(
        "negotiation:sample_request",
        "post",
        "lot",
        SAMPLEABLE,
        creates("negotiation.SampleRequest", lot=target, roaster=caller, message="matrix sample"),
        parties=ROASTERS,
        kwargs=pk("lot_id"),
        data=lambda c: {"kind": "offer", "grams": 250, "message": "matrix sample"},
    )
)
add(
    stateless(
        "api-sample-price",
        "put",
        PRODUCERS,
        creates("negotiation.SampleTerms", producer=caller, fee=Decimal("19.00")),
        data=lambda c: {"fee": "19.00", "currency": "USD"},
    )
)
add(
    stateless(
        "negotiation:sample_terms",
        "post",
        PRODUCERS,
        creates("negotiation.SampleTerms", producer=caller, fee=Decimal("19.00")),
        data=lambda c: {"fee": "19.00", "currency": "USD"},
    )
)
# (API action, page action, who, from state, to status, payload)
SAMPLE_MOVES: tuple[tuple[str, str, frozenset[str], str, str, dict[str, str] | None], ...] = (
    ("accept", "accept", OWNER, "requested", "accepted", {}),
    ("decline", "decline", OWNER, "requested", "declined", {"reason": "matrix"}),
    ("ship", "ship", OWNER, "accepted", "shipped", {"courier": "DHL", "tracking": "MX-S"}),
    ("arrived", "arrived", BUYER, "shipped", "arrived", {}),
    ("feedback", "feedback", BUYER, "arrived", "feedback", None),
)


def _sample_kwargs(action: str) -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: {"pk": c.target.pk, "action": action}


for _api, _page, _who, _from, _to, _payload in SAMPLE_MOVES:
    api_payload = _payload if _payload is not None else {"score": "85.00", "notes": "matrix"}
    page_payload = _payload if _payload is not None else {"feedback_score": "85.00", "feedback_notes": "matrix"}
    add(
        Action(
            f"samples-{_api}",
            "post",
            "sample",
            {_from: _who},
            becomes(status=_to),
            parties=PARTIES,
            kwargs=pk(),
            data=payload(api_payload),
        )
    )
    add(
        Action(
            "negotiation:sample_action",
            "post",
            "sample",
            {_from: _who},
            becomes(status=_to),
            parties=PARTIES,
            kwargs=_sample_kwargs(_page),
            data=payload(page_payload),
            label=_page,
        )
    )

# --- negotiations ---------------------------------------------------------------------------------
OFFERABLE = every(("submitted", "listed", "reserved"), ROASTERS) | every(
    ("draft", "sold_out", "on_auction", "withdrawn"), NOBODY
)
add(
    Action(
        "negotiations-list",
        "post",
        "lot",
        OFFERABLE,
        creates("negotiation.Negotiation", lot=target, buyer=caller, status="open"),
        parties=ROASTERS,
        data=lambda c: {"lot": c.target.pk} | OFFER,
        refusal_codes=frozenset({400}),  # a private lot is refused like one that does not exist
    )
)
add(
    Action(
        "negotiation:negotiation_open",
        "post",
        "lot",
        OFFERABLE,
        creates("negotiation.Negotiation", lot=target, buyer=caller, status="open"),
        parties=ROASTERS,
        kwargs=pk("lot_id"),
        data=lambda c: dict(OFFER),
    )
)
# The side whose turn it is answers: the producer an open offer, the roaster a counter-offer.
TURNS = {"open": OWNER, "countered": BUYER, "accepted": NOBODY}


def _countered(c: Ctx) -> None:
    now = c.fresh()
    assert now.current_offer.seq == c.target.current_offer.seq + 1, "no new offer on the table"
    assert now.current_offer.price == Decimal("29.5000"), f"the offer is {now.current_offer.price}"


def _accepted(c: Ctx) -> None:
    from marketplace.negotiation.models import Order

    assert c.fresh().status == "accepted", f"status is {c.fresh().status}"
    assert Order.objects.filter(source="negotiation", source_id=c.target.pk).exists(), "no order was made"


for _route, _method in (("negotiations-{}", "api"), ("negotiation:negotiation_{}", "page")):
    add(
        Action(
            _route.format("counter"),
            "post",
            "negotiation",
            TURNS,
            _countered,
            parties=PARTIES,
            kwargs=pk(),
            data=lambda c: dict(OFFER),
        )
    )
    add(Action(_route.format("accept"), "post", "negotiation", TURNS, _accepted, parties=PARTIES, kwargs=pk()))
    add(
        Action(
            _route.format("reject"),
            "post",
            "negotiation",
            TURNS,
            becomes(status="rejected"),
            parties=PARTIES,
            kwargs=pk(),
            data=lambda c: {"note": "matrix"},
        )
    )
    add(
        Action(
            _route.format("withdraw"),
            "post",
            "negotiation",
            {"open": BUYER, "countered": BUYER, "accepted": NOBODY},
            becomes(status="withdrawn"),
            parties=PARTIES,
            kwargs=pk(),
            data=lambda c: {"note": "matrix"},
        )
    )

# --- orders ---------------------------------------------------------------------------------------
for _prefix in ("orders-", "negotiation:order_"):
    page = _prefix.startswith("negotiation")
    add(
        Action(
            _prefix + "cancel",
            "post",
            "order",
            {"awaiting_payment": PARTIES, "paid": NOBODY},  # paid: only a moderator, with a refund
            becomes(status="cancelled"),
            parties=PARTIES,
            kwargs=pk(),
            data=lambda c: {"reason": "matrix"},
        )
    )
    add(
        Action(
            _prefix + "ship",
            "post",
            "order",
            {"paid": OWNER, "awaiting_payment": NOBODY},
            becomes(status="shipped"),
            parties=PARTIES,
            kwargs=pk(),
            data=lambda c: {"courier": "DHL", "tracking": "MX-BL"},
        )
    )
    add(
        Action(
            _prefix + ("delivered" if page else "confirm-delivery"),
            "post",
            "order",
            {"shipped": BUYER, "paid": NOBODY},
            becomes(status="delivered"),
            parties=PARTIES,
            kwargs=pk(),
        )
    )
    add(
        Action(
            _prefix + "claim",
            "post",
            "order",
            {"delivered": BUYER, "claimed": NOBODY, "shipped": NOBODY},
            creates("negotiation.QualityClaim", order=target, description="matrix claim"),
            parties=PARTIES,
            kwargs=pk(),
            data=lambda c: {"description": "matrix claim"},
        )
    )
add(
    Action(
        "negotiation:claim_resolve",
        "post",
        "quality_claim",
        {"open": MOD, "resolved": NOBODY},
        becomes(status="resolved", outcome="allowance"),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {f"c{c.target.pk}-outcome": "allowance", f"c{c.target.pk}-resolution": "matrix"},
    )
)
