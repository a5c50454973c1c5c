"""Writes of lots: farms, plots, lots (edit, status), photos, custody, through the API and the pages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.security.actions.base import (
    CUSTODY,
    LOT_STATES,
    NEW_LOT,
    POINT,
    Action,
    Ctx,
    becomes,
    caller,
    creates,
    deletes,
    every,
    lot_form,
    nothing,
    payload,
    pk,
    png,
    stateless,
    target,
)
from tests.security.matrix import (
    MOD,
    NOBODY,
    OWNER,
    OWNER_MOD,
    PRODUCERS,
)

ACTIONS: list[Action] = []
add = ACTIONS.append

# Which statuses a lot may move to from each of its states (lots.models.LOT_TRANSITIONS), for its
# owner and moderators. A lot on an open auction is frozen except through the auction itself
# (issue 13): nobody moves it.
LOT_MOVES: dict[str, tuple[str, ...]] = {
    "draft": ("listed", "withdrawn"),
    "submitted": ("reserved", "sold_out", "withdrawn", "draft"),
    "listed": ("reserved", "sold_out", "withdrawn", "draft"),
    "reserved": ("listed", "sold_out", "withdrawn"),
    "sold_out": ("reserved", "listed"),
    "withdrawn": ("draft",),
    "on_auction": ("listed", "sold_out", "withdrawn"),
}
FROZEN = ("on_auction",)


def _transitions(route: str, who: frozenset[str], targets: set[str] | None = None) -> list[Action]:
    """One action per status a lot can move to, aimed at every state it can move there from."""
    out = []
    reachable = {t for moves in LOT_MOVES.values() for t in moves}
    for to in sorted(reachable if targets is None else reachable & targets):
        states = {s: (NOBODY if s in FROZEN else who) for s, moves in LOT_MOVES.items() if to in moves}
        out.append(
            Action(
                route,
                "post",
                "lot",
                states,
                becomes(status=to),
                parties=who,
                kwargs=pk(),
                data=payload({"to": to, "reason": "matrix"}),
                label=f"to-{to}",
            )
        )
    return out


# --- lots: the API --------------------------------------------------------------------------------
add(
    Action(
        "lot-list",
        "post",
        "farm",
        {"own": OWNER},
        creates("lots.Lot", code="MX-NEW", producer=caller),
        data=lambda c: NEW_LOT | {"farm": c.target.pk},
        label="on-farm",
        refusal_codes=frozenset({400}),  # another producer's farm: "choose one of your farms"
    )
)
add(
    Action(
        "lot-list",
        "post",
        "plot",
        {"own": OWNER},
        creates("lots.Lot", code="MX-NEW", producer=caller),
        data=lambda c: NEW_LOT | {"plots": [c.target.pk]},
        label="on-plot",
        refusal_codes=frozenset({400}),  # another producer's plot: "choose plots of your own farms"
    )
)


def _versioned(data: Callable[[Ctx], dict[str, Any]]) -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: data(c) | {"version": c.target.version}


# The second producer edits their own lot naming the producer's farm or plot: refused, nothing
# changes (the producer, who owns the farm, may not edit a stranger's lot either).
RIVAL = frozenset({"second_producer"})
for _label, _foreign in (
    ("foreign-farm", lambda c: {"farm": c.w["farm"].pk}),
    ("foreign-plot", lambda c: {"plots": [c.w["plot"].pk]}),
):
    add(
        Action(
            "lot-detail",
            "patch",
            "rival_lot",
            {"listed": NOBODY},
            nothing,
            parties=RIVAL,
            kwargs=pk(),
            data=_versioned(_foreign),
            label=_label,
        )
    )
add(
    Action(
        "lots:edit",
        "post",
        "rival_lot",
        {"listed": NOBODY},
        nothing,
        parties=RIVAL,
        kwargs=pk(),
        data=lambda c: lot_form(c.target, farm=c.w["farm"].pk, plots=[c.w["plot"].pk]),
        label="foreign-plot",
    )
)
add(
    Action(
        "lot-detail",
        "patch",
        "lot",
        every(LOT_STATES, OWNER),
        becomes(story="Matrix story"),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: {"story": "Matrix story", "version": c.target.version},
        label="story",
    )
)


def _bumped(name: str, change: Decimal) -> Callable[[Ctx], Any]:
    return lambda c: getattr(c.target, name) + change


def _bump(name: str, change: Decimal) -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: {name: str(getattr(c.target, name) + change), "version": c.target.version}


# Price and weight are frozen while the lot is on an open auction (issue 13).
for _field, _change in (("price", Decimal("1.5")), ("weight_kg", Decimal("10"))):
    add(
        Action(
            "lot-detail",
            "patch",
            "lot",
            every(LOT_STATES, OWNER, **dict.fromkeys(FROZEN, NOBODY)),
            becomes(**{_field: _bumped(_field, _change)}),
            parties=OWNER,
            kwargs=pk(),
            data=_bump(_field, _change),
            label=_field,
        )
    )
ACTIONS.extend(_transitions("lot-transition", OWNER_MOD))
add(
    Action(
        "lot-photos",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("lots.LotPhoto", lot=target, caption="matrix photo"),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: {"image": png(), "kind": "plot", "caption": "matrix photo"},
        fmt="multipart",
    )
)
add(
    Action(
        "lot-photo-detail",
        "delete",
        "photo",
        every(LOT_STATES, OWNER),
        deletes,
        parties=OWNER,
        kwargs=lambda c: {"lot_pk": c.target.lot_id, "pk": c.target.pk},
    )
)
add(
    Action(
        "lot-custody-events",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("lots.CustodyEvent", lot=target, place="Matrix mill"),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: CUSTODY | {"separated": True},
    )
)
add(
    stateless(
        "farm-list",
        "post",
        PRODUCERS,
        creates("lots.Farm", name="Matrix farm", producer=caller),
        data=lambda c: {"name": "Matrix farm", "country": "CO", "region": "Huila"},
    )
)
add(
    Action(
        "farm-detail",
        "patch",
        "farm",
        {"own": OWNER},
        becomes(region="Matrix"),
        kwargs=pk(),
        data=lambda c: {"region": "Matrix"},
    )
)
add(
    Action(
        "plot-list",
        "post",
        "farm",
        {"own": OWNER},
        creates("lots.Plot", farm=target, name="Matrix plot"),
        data=lambda c: {"farm": c.target.pk, "name": "Matrix plot", "area_ha": "1.000", "geometry": POINT},
        refusal_codes=frozenset({400}),  # another producer's farm is not one of the choices
    )
)
add(
    Action(
        "plot-detail",
        "patch",
        "plot",
        {"own": OWNER},
        becomes(name="Matrix plot"),
        kwargs=pk(),
        data=lambda c: {"name": "Matrix plot"},
    )
)
# PUT is routed but not offered (PATCH is the API's update): its owner gets 405, everyone else
# is refused first, and nothing changes. Offering it means giving it allowed roles and an effect.
for _route, _kind in (
    ("farm-detail", "farm"),
    ("plot-detail", "plot"),
    *((f"pricing-{t}-detail", t) for t in ("baseline", "cprice", "rate", "adjustment")),
):
    _owner = MOD if _route.startswith("pricing") else OWNER
    add(
        Action(
            _route,
            "put",
            _kind,
            {"own" if _kind in ("farm", "plot") else "row": NOBODY},
            nothing,
            parties=_owner,
            kwargs=pk(),
            data=lambda c: {"name": "Matrix", "region": "Matrix", "source": "matrix", "note": "matrix"},
            label="not-offered",
            refusal_codes=frozenset({405}),
        )
    )

# --- lots: the pages ------------------------------------------------------------------------------
add(
    stateless(
        "lots:farm_create",
        "post",
        PRODUCERS,
        creates("lots.Farm", name="Matrix farm", producer=caller),
        data=lambda c: {"name": "Matrix farm", "country": "CO", "region": "Huila"},
    )
)
add(
    Action(
        "lots:farm_edit",
        "post",
        "farm",
        {"own": OWNER},
        becomes(region="Matrix"),
        kwargs=pk(),
        data=lambda c: {"name": c.target.name, "country": c.target.country, "region": "Matrix"},
    )
)
add(
    Action(
        "lots:plot_create",
        "post",
        "farm",
        {"own": OWNER},
        creates("lots.Plot", farm=target, name="Matrix plot"),
        kwargs=pk("farm_pk"),
        data=lambda c: {"name": "Matrix plot", "area_ha": "1.000", "latitude": "1.852345", "longitude": "-75.912345"},
    )
)
add(
    Action(
        "lots:plot_edit",
        "post",
        "plot",
        {"own": OWNER},
        becomes(name="Matrix plot"),
        kwargs=pk(),
        data=lambda c: {
            "name": "Matrix plot",
            "area_ha": str(c.target.area_ha),
            "latitude": "1.852345",
            "longitude": "-75.912345",
        },
    )
)
add(
    Action(
        "lots:create",
        "post",
        "farm",
        {"own": OWNER},
        creates("lots.Lot", code="MX-NEW", producer=caller),
        data=lambda c: NEW_LOT | {"farm": c.target.pk, "plots": [p.pk for p in c.target.plots.all()]},
        label="on-farm",
        refusal_codes=frozenset({400}),  # the farm is not one of a stranger's choices
    )
)
add(
    Action(
        "lots:edit",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        becomes(story="Matrix story"),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: lot_form(c.target, story="Matrix story"),
        label="story",
    )
)
add(
    Action(
        "lots:edit",
        "post",
        "lot",
        every(LOT_STATES, OWNER, **dict.fromkeys(FROZEN, NOBODY)),
        becomes(price=Decimal("31.5000")),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: lot_form(c.target, price="31.5"),
        label="price",
    )
)
ACTIONS.extend(_transitions("lots:transition", OWNER, {"listed", "draft", "withdrawn"}))  # the page's form
add(
    Action(
        "lots:photos",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("lots.LotPhoto", lot=target, caption="matrix photo"),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: {"photos": png(), "kind": "plot", "caption": "matrix photo"},
    )
)
add(
    Action(
        "lots:custody_add",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("lots.CustodyEvent", lot=target, place="Matrix mill"),
        parties=OWNER,
        kwargs=pk(),
        data=lambda c: CUSTODY | {"separated": "on"},
    )
)
add(Action("lots:photo_delete", "post", "photo", every(LOT_STATES, OWNER), deletes, parties=OWNER, kwargs=pk()))

# "Did you mean Pink Bourbon?": only the lot's producer answers, on a draft or a listed lot.
add(
    Action(
        "lots:variety_answer",
        "post",
        "variety_lot",
        every(("draft", "listed"), OWNER),
        becomes(variety_status="confirmed", variety_id=lambda c: c.target.variety_suggestion_id),
        kwargs=pk(),
        data=lambda c: {"answer": "accept", "version": c.target.version},
    )
)
