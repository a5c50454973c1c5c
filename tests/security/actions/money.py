"""Writes of pricing (moderators' reference tables) and payments (open, charge, transfers, refunds)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.security.actions.base import (
    BUYER,
    LOT_STATES,
    Action,
    Ctx,
    becomes,
    caller,
    creates,
    deletes,
    every,
    nothing,
    payload,
    pk,
    stateless,
    target,
)
from tests.security.matrix import (
    MOD,
    NOBODY,
    OWNER,
)

ACTIONS: list[Action] = []
add = ACTIONS.append


def _pricing_row(table: str) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {
        "baseline": {
            "edition": "matrix",
            "harvest_year": 2025,
            "origin": "CO",
            "score_band": "all",
            "size_band": "all",
            "median": "5.00",
            "source": "matrix",
        },
        "cprice": {"observed_on": "2001-02-01", "label": "Feb 2001", "usd_per_lb": "3.9000", "source": "matrix"},
        "rate": {"currency": "EUR", "usd_per_unit": "1.2000000000", "valid_on": "2001-02-01", "source": "matrix"},
        "adjustment": {"origin": "XM", "incoterm": "FCA", "usd_per_lb": "0.2000", "note": "matrix"},
    }
    return rows[table]


PRICING_MODELS = {
    "baseline": "pricing.SpecialtyBaseline",
    "cprice": "pricing.CPrice",
    "rate": "core.ExchangeRate",
    "adjustment": "pricing.IncotermAdjustment",
}
# The field a PATCH changes in each reference table, and its new value.
PRICING_PATCH = {"baseline": ("source", "matrix"), "cprice": ("source", "matrix"), "rate": ("source", "matrix")}
PRICING_PATCH["adjustment"] = ("note", "matrix")


# --- pricing (moderators) -------------------------------------------------------------------------
for _table, _model in PRICING_MODELS.items():
    _row = _pricing_row(_table)
    _lookup = {k: v for k, v in _row.items() if k in ("edition", "observed_on", "valid_on", "origin")}
    add(stateless(f"pricing-{_table}-list", "post", MOD, creates(_model, **_lookup), data=payload(_row)))
    _name, _value = PRICING_PATCH[_table]
    add(
        Action(
            f"pricing-{_table}-detail",
            "patch",
            _table,
            {"row": MOD},
            becomes(**{_name: _value}),
            kwargs=pk(),
            data=payload({_name: _value}),
        )
    )
    add(Action(f"pricing-{_table}-detail", "delete", _table, {"row": MOD}, deletes, kwargs=pk()))
add(stateless("pricing-sweep", "post", MOD, creates("core.Job", kind="pricing.sweep")))
add(stateless("pricing:sweep", "post", MOD, creates("core.Job", kind="pricing.sweep")))
add(
    stateless(
        "pricing:create",
        "post",
        MOD,
        creates("pricing.SpecialtyBaseline", edition="matrix"),
        kwargs=lambda c: {"kind": "baseline"},
        data=lambda c: _pricing_row("baseline"),
    )
)
add(
    Action(
        "pricing:edit",
        "post",
        "baseline",
        {"row": MOD},
        becomes(source="matrix"),
        kwargs=lambda c: {"kind": "baseline", "pk": c.target.pk},
        data=lambda c: {
            "edition": c.target.edition,
            "harvest_year": c.target.harvest_year,
            "origin": c.target.origin,
            "score_band": c.target.score_band,
            "size_band": c.target.size_band,
            "median": str(c.target.median),
            "source": "matrix",
        },
    )
)
add(
    Action(
        "pricing:delete",
        "post",
        "baseline",
        {"row": MOD},
        deletes,
        kwargs=lambda c: {"kind": "baseline", "pk": c.target.pk},
    )
)


def _baseline_csv() -> SimpleUploadedFile:
    from marketplace.pricing.services import CSV_COLUMNS

    row = _pricing_row("baseline")
    columns = CSV_COLUMNS["baseline"][0]
    text = ",".join(columns) + "\n" + ",".join(str(row.get(c, "")) for c in columns) + "\n"
    return SimpleUploadedFile("baselines.csv", text.encode(), content_type="text/csv")


add(
    stateless(
        "pricing:import",
        "post",
        MOD,
        creates("pricing.SpecialtyBaseline", edition="matrix"),
        kwargs=lambda c: {"kind": "baseline"},
        data=lambda c: {"file": _baseline_csv()},
    )
)

# --- payments -------------------------------------------------------------------------------------
for _route in ("api-payment-list", "payments:open"):
    add(
        Action(
            _route,
            "post",
            "payable",
            {"order": BUYER, "sample": BUYER},
            creates(
                "payments.Payment",
                subject_kind=lambda c: c.state,
                subject_id=lambda c: c.target.pk,
                payer=caller,
            ),
            parties=BUYER,
            data=lambda c: {"subject_kind": c.state, "subject_id": c.target.pk},
        )
    )


def _attempt_started(c: Ctx) -> None:
    assert c.fresh().attempts == c.target.attempts + 1, "no charge was started"


def _pay(c: Ctx) -> dict[str, Any]:
    return {"id": str(c.target.public_id)}


def _pay_page(c: Ctx) -> dict[str, Any]:
    return {"public_id": c.target.public_id}


# A card payment: the buyer starts a charge. A charge still in flight blocks a second one (issue
# 13: at most one live attempt per payable); a bank transfer is not charged by card at all.
CHARGEABLE = {"card_new": BUYER, "card_live": NOBODY, "offline_pending": NOBODY}
add(
    Action(
        "api-payment-confirm",
        "post",
        "payment",
        CHARGEABLE,
        _attempt_started,
        parties=BUYER,
        kwargs=_pay,
        data=lambda c: {"payment_method": "pm_card_visa"},
    )
)
add(
    Action(
        "payments:confirm",
        "post",
        "payment",
        CHARGEABLE,
        _attempt_started,
        parties=BUYER,
        kwargs=_pay_page,
        data=lambda c: {"payment_method": "pm_card_visa"},
        fmt="json",  # posted by checkout.js
    )
)
for _route, _kwargs in (("api-payment-received", _pay), ("payments:received", _pay_page)):
    add(
        Action(
            _route,
            "post",
            "payment",
            {"offline_pending": MOD, "card_new": NOBODY},
            becomes(status="paid", amount_paid=lambda c: c.target.amount),
            parties=MOD,
            kwargs=_kwargs,
            data=lambda c: {"amount": str(c.target.amount), "reference": "MX-REF"},
        )
    )
for _route, _kwargs in (("api-payment-refunds", _pay), ("payments:refund", _pay_page)):
    add(
        Action(
            _route,
            "post",
            "payment",
            {"paid": MOD, "offline_pending": NOBODY},
            creates("payments.Refund", payment=target, amount=Decimal("1.00")),
            parties=MOD,
            kwargs=_kwargs,
            data=lambda c: {"amount": "1.00", "reason": "matrix"},
        )
    )
add(
    Action(
        "payments:lot_terms",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("payments.LotPaymentTerms", lot=target, mode="deposit"),
        parties=OWNER,
        kwargs=pk("lot_id"),
        data=lambda c: {"mode": "deposit"},
    )
)
# The webhook is authenticated by Stripe's signature, not by who is signed in: unsigned, it is
# refused (400) for everybody and changes nothing.
add(
    stateless(
        "stripe-webhook",
        "post",
        NOBODY,
        nothing,
        data=lambda c: {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_matrix"}}},
        fmt="json",
        label="unsigned",
        refusal_codes=frozenset({400}),
    )
)
