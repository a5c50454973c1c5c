"""The write half of the permission matrix: every state-changing route × lifecycle state × role.

An ``Action`` is one way to change something: a route, an HTTP method, and (``label``) a variant
of the payload. It aims at an object of the world (``kind``, see ``build_states`` in conftest.py)
in each lifecycle state in which its owner may act (``states``: state -> the roles for whom the
action must HAPPEN there). Every (action, state, role) is one case:

- allowed (the role is in ``states[state]``): the answer is a success (2xx, or a redirect that
  is not the login page) and ``effect`` proves the action happened (the row changed as the action
  says, or the new row exists);
- blocked (the role is one of ``parties`` but not allowed in this state, e.g. the producer on a
  lot that is on auction, the buyer when it is the seller's turn): any answer below 500, and no
  row of the marketplace changed;
- refused (everyone else: an outsider, the second producer, a roaster who is not the buyer, the
  fresh unverified grader, anonymous): 401, 403, 404 or (pages) a redirect to the login page —
  or one of the action's ``refusal_codes`` where the route refuses that way (a 400 for an object
  named in the body) — and no row changed.

"No row changed" is a hash of every row of the marketplace's tables (tests/security/snapshot.py)
taken before and after the request.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.security.matrix import (
    EVERYONE,
    GRADER,
    GRADERS,
    MOD,
    NOBODY,
    OWNER,
    OWNER_MOD,
    PARTIES,
    PRODUCERS,
    ROASTERS,
    SIGNED_IN,
)

BUYER = frozenset({"roaster"})
GRADER_MOD = GRADER | MOD

W = dict[str, Any]


@dataclass
class Ctx:
    """What a payload or an effect may look at: the world, the target as it was, who acts."""

    w: W
    target: Any
    role: str
    state: str
    response: Any = None
    client: Any = None

    @property
    def user(self) -> Any:
        return None if self.role == "anonymous" else self.w[self.role]

    def fresh(self) -> Any:
        return type(self.target)._default_manager.get(pk=self.target.pk)


Data = Callable[[Ctx], dict[str, Any]]
Effect = Callable[[Ctx], None]


@dataclass(frozen=True)
class Action:
    route: str
    method: str
    kind: str  # the world's at[kind][state]; "" for an action on no particular object
    states: dict[str, frozenset[str]]
    effect: Effect
    parties: frozenset[str] = NOBODY
    kwargs: Callable[[Ctx], dict[str, Any]] = lambda c: {}
    data: Data = lambda c: {}
    label: str = ""
    fmt: str = ""  # "json" (the API's default), "multipart" (a browser form: the pages' default)
    refusal_codes: frozenset[int] = frozenset()
    # Roles for whom ANY answer below 500 is right, as long as the effect holds (an endpoint whose
    # answer does not depend on who asks, e.g. a password reset that must not reveal accounts).
    any_answer: frozenset[str] = frozenset()
    # The allowed side must change no row either (the effect is something else: a mail sent).
    unchanged: bool = False
    # Checked after the request whoever made it (e.g. the victim of a wrong password can still sign in).
    invariant: Effect | None = None
    # Follow-up work a worker does after commit, run synchronously before the effect is checked.
    after: Callable[[Ctx], None] | None = None
    # Extra headers, e.g. an HTTP_HX_REQUEST.
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.route}.{self.method.upper()}" + (f".{self.label}" if self.label else "")

    def allowed(self, state: str) -> frozenset[str]:
        return self.states[state]

    def blocked(self, state: str) -> frozenset[str]:
        return self.parties - self.states[state]


def case_id(action: Action, state: str, role: str) -> str:
    return f"{action.key}@{state}-{role}" if action.kind else f"{action.key}-{role}"


# --- payload helpers ------------------------------------------------------------------------------


def png(size: tuple[int, int] = (20, 20), colour: str = "navy", name: str = "matrix.png") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def sca_values() -> dict[str, Any]:
    from cupping import scoring

    values: dict[str, Any] = dict.fromkeys(scoring.SCA_QUALITY, "7.75")
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    return values


def lot_form(lot: Any, **changes: Any) -> dict[str, Any]:
    """The lot page's form as its owner's browser would post it, with ``changes``."""
    lot = type(lot).objects.get(pk=lot.pk)
    data: dict[str, Any] = {
        "version": lot.version,
        "name": lot.name,
        "code": lot.code,
        "farm": lot.farm_id or "",
        "plots": [p.pk for p in lot.plots.all()],
        "variety": lot.variety_as_declared or (lot.variety.name if lot.variety else ""),
        "process": lot.process,
        "additives": lot.additives,
        "harvest_year": lot.harvest_year,
        "harvest_start": lot.harvest_start.isoformat() if lot.harvest_start else "",
        "harvest_end": lot.harvest_end.isoformat() if lot.harvest_end else "",
        "weight_kg": str(lot.weight_kg),
        "price": str(lot.price),
        "currency": lot.currency,
        "price_unit": lot.price_unit,
        "incoterm": lot.incoterm,
        "incoterm_place": lot.incoterm_place,
        "story": lot.story,
    }
    data.update(changes)
    return data


NEW_LOT = {
    "name": "Matrix lot",
    "code": "MX-NEW",
    "process": "washed",
    "additives": "none",
    "harvest_year": 2025,
    "weight_kg": "300",
    "price": "30",
    "currency": "USD",
    "price_unit": "kg",
    "incoterm": "FOB",
}
CUSTODY = {
    "stage": "harvest",
    "occurred_on": "2025-10-05",
    "state_in": "cherry",
    "state_out": "cherry",
    "weight_in_kg": "100",
    "weight_out_kg": "99",
    "place": "Matrix mill",
}
OFFER = {"quantity_kg": "10", "price": "29.50", "currency": "USD", "price_unit": "kg", "incoterm": "FOB"}
GRADING = {"sample_grams": 350, "moisture_pct": "10.8", "water_activity": "0.55", "quakers": 0}
STATEMENT = "Matrix: one terrace, picked on two days, fermented and dried apart from everything else."
POINT = {"type": "Point", "coordinates": [-75.91, 1.85]}


def import_csv(lot: Any, grader_email: str = "") -> str:
    from cupping.services import IMPORT_COLUMNS

    row = {"lot": str(lot.pk), "grader": grader_email, "protocol": "sca2004", "cupped_on": yesterday()}
    row |= {"independent": "yes", "notes": "matrix import"} | {k: str(v) for k, v in sca_values().items()}
    header = [c for c in IMPORT_COLUMNS if c in row]
    return ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n"


def run_import_job(c: Ctx) -> None:
    """What the worker does after commit: run the caller's newest import job."""
    from core.models import Job
    from cupping.services import cupping_import_run

    job = Job.objects.filter(kind="cupping_import", owner_id=getattr(c.user, "pk", None)).order_by("-created_at")
    if job.exists():
        cupping_import_run(job_id=job.first().pk)


# --- effect helpers -------------------------------------------------------------------------------


def becomes(**expected: Any) -> Effect:
    """The target now has these values (a value may be a function of the Ctx)."""

    def check(c: Ctx) -> None:
        now = c.fresh()
        for name, value in expected.items():
            want = value(c) if callable(value) else value
            got = getattr(now, name)
            assert got == want, f"{name} is {got!r}, expected {want!r}"

    return check


def changes(*names: str) -> Effect:
    def check(c: Ctx) -> None:
        now = c.fresh()
        for name in names:
            assert getattr(now, name) != getattr(c.target, name), f"{name} did not change ({getattr(now, name)!r})"

    return check


def creates(model: str, **lookups: Any) -> Effect:
    """A row of ``model`` matching ``lookups`` exists (values may be functions of the Ctx)."""

    def check(c: Ctx) -> None:
        from django.apps import apps

        resolved = {k: (v(c) if callable(v) else v) for k, v in lookups.items()}
        assert apps.get_model(model)._default_manager.filter(**resolved).exists(), f"no {model} with {resolved}"

    return check


def is_set(name: str) -> Effect:
    def check(c: Ctx) -> None:
        assert getattr(c.fresh(), name), f"{name} is not set"

    return check


def deletes(c: Ctx) -> None:
    assert not type(c.target)._default_manager.filter(pk=c.target.pk).exists(), "the row is still there"


def both(*effects: Effect) -> Effect:
    def check(c: Ctx) -> None:
        for effect in effects:
            effect(c)

    return check


def caller(c: Ctx) -> Any:
    return c.user


def target(c: Ctx) -> Any:
    return c.target


def pk(name: str = "pk") -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: {name: c.target.pk}


def lot_kwarg(name: str = "pk") -> Callable[[Ctx], dict[str, Any]]:
    return pk(name)


# --- states ---------------------------------------------------------------------------------------

LOT_STATES = ("draft", "submitted", "listed", "reserved", "sold_out", "on_auction", "withdrawn")
PUBLIC = ("submitted", "listed", "reserved", "sold_out", "on_auction")


def every(states: tuple[str, ...], roles: frozenset[str], **overrides: frozenset[str]) -> dict[str, frozenset[str]]:
    return {state: overrides.get(state, roles) for state in states}


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
                data=lambda c, to=to: {"to": to, "reason": "matrix"},
                label=f"to-{to}",
            )
        )
    return out


def _claim_decision(c: Ctx) -> str:
    return {"submitted": "request_evidence", "evidence_requested": "reject", "approved": "reject"}.get(
        c.state, "reject"
    )


DECIDED = {"request_evidence": "evidence_requested", "reject": "rejected"}


def _pricing_row(table: str) -> dict[str, Any]:
    return {
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
    }[table]


PRICING_MODELS = {
    "baseline": "pricing.SpecialtyBaseline",
    "cprice": "pricing.CPrice",
    "rate": "core.ExchangeRate",
    "adjustment": "pricing.IncotermAdjustment",
}
# The field a PATCH changes in each reference table, and its new value.
PRICING_PATCH = {"baseline": ("source", "matrix"), "cprice": ("source", "matrix"), "rate": ("source", "matrix")}
PRICING_PATCH["adjustment"] = ("note", "matrix")


def _stateless(route: str, method: str, allowed: frozenset[str], effect: Effect, **more: Any) -> Action:
    return Action(route, method, "", {"-": allowed}, effect, **more)


# --- the table ------------------------------------------------------------------------------------

ACTIONS: list[Action] = []
add = ACTIONS.append

# --- core -----------------------------------------------------------------------------------------
# Marking read names a notification in the body: anybody else's mark is quietly ignored.
add(
    Action(
        "notifications_read",
        "post",
        "notification",
        {"unread": OWNER},
        is_set("read_at"),
        data=lambda c: {"id": c.target.pk},
        refusal_codes=frozenset({302}),
    )
)

# --- accounts -------------------------------------------------------------------------------------


def _token_works(email: str) -> Effect:
    def check(c: Ctx) -> None:
        from rest_framework.test import APIClient

        body = c.response.json()
        token = body.get("token") or body.get("key")
        assert token, f"no token in {body}"
        me = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
        assert me.status_code == 200 and me.json().get("email") == email, f"the token does not work: {me.status_code}"

    return check


def _producer_can_still_sign_in(c: Ctx) -> None:
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/accounts/login/",
        {"username": "producer@example.test", "password": "correct-horse-coffee"},
        format="multipart",
    )
    assert response.status_code == 302, f"the producer cannot sign in any more: {response.status_code}"


add(
    _stateless(
        "api-register",
        "post",
        EVERYONE,
        creates("accounts.User", email="new-matrix@example.test", role="roaster"),
        data=lambda c: {
            "email": "new-matrix@example.test",
            "password": "a-long-matrix-password",
            "role": "roaster",
            "company": "Matrix Roasters",
            "country": "DE",
        },
        label="new",
    )
)
add(
    _stateless(
        "api-token",
        "post",
        EVERYONE,  # no session counts here: whoever knows the password gets a token
        _token_works("producer@example.test"),
        data=lambda c: {"email": "producer@example.test", "password": "correct-horse-coffee"},
        label="own-password",
    )
)
add(
    _stateless(
        "api-token",
        "post",
        NOBODY,
        lambda c: None,
        data=lambda c: {"email": "producer@example.test", "password": "wrong-matrix-password"},
        label="wrong-password",
        refusal_codes=frozenset({400}),
        invariant=_producer_can_still_sign_in,
    )
)
add(
    _stateless(
        "accounts:signup",
        "post",
        frozenset({"anonymous"}),
        creates("accounts.User", email="new-matrix@example.test"),
        parties=SIGNED_IN,  # a signed-in user is sent to the dashboard
        data=lambda c: {
            "role": "roaster",
            "email": "new-matrix@example.test",
            "password": "a-long-matrix-password",
            "password_again": "a-long-matrix-password",
            "company": "Matrix Roasters",
            "country": "DE",
        },
    )
)


def _signed_in_as(email: str) -> Effect:
    def check(c: Ctx) -> None:
        from accounts.models import User

        user_id = c.response.wsgi_request.session.get("_auth_user_id")
        assert user_id == str(User.objects.get(email=email).pk), f"signed in as {user_id!r}"

    return check


add(
    _stateless(
        "accounts:login",
        "post",
        frozenset({"anonymous"}),
        _signed_in_as("producer@example.test"),
        parties=SIGNED_IN,  # already signed in: sent on, nothing changes
        data=lambda c: {"username": "producer@example.test", "password": "correct-horse-coffee"},
        label="own-password",
    )
)
# Someone else's e-mail with a wrong password: nothing of that account changes (django-axes keeps
# its own count of failures, outside the fingerprint), and the right password still works.
add(
    _stateless(
        "accounts:login",
        "post",
        NOBODY,
        lambda c: None,
        parties=EVERYONE,
        data=lambda c: {"username": "producer@example.test", "password": "wrong-matrix-password"},
        label="wrong-password",
        invariant=_producer_can_still_sign_in,
    )
)
add(
    _stateless(
        "accounts:login",
        "put",
        NOBODY,
        lambda c: None,
        parties=EVERYONE,
        data=lambda c: {"username": "producer@example.test", "password": "correct-horse-coffee"},
    )
)


def _signed_out(c: Ctx) -> None:
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=c.w["sessions"][c.role]).exists(), "the session is still there"


add(
    _stateless(
        "accounts:logout",
        "post",
        SIGNED_IN,
        _signed_out,
        parties=EVERYONE,
    )
)


def _reset_mailed_without_enumeration(c: Ctx) -> None:
    """The owner of the address gets the mail; the answer is the same as for an unknown address."""
    from django.core import mail

    to = [m.to for m in mail.outbox]
    assert to == [["producer@example.test"]], f"mails sent: {to}"
    other = c.client.post(c.response.request["PATH_INFO"], {"email": "nobody-matrix@example.test"}, format="multipart")
    assert (other.status_code, other.get("Location")) == (c.response.status_code, c.response.get("Location")), (
        f"a known address answers {c.response.status_code} {c.response.get('Location')}, "
        f"an unknown one {other.status_code} {other.get('Location')}"
    )


add(
    _stateless(
        "accounts:password_reset",
        "post",
        EVERYONE,  # anyone may ask; the mail goes to the address's owner
        _reset_mailed_without_enumeration,
        any_answer=EVERYONE,
        unchanged=True,  # no row may change: the mail is the whole effect
        data=lambda c: {"email": "producer@example.test"},
        label="known-address",
    )
)
add(
    _stateless(
        "accounts:password_reset",
        "put",
        NOBODY,
        lambda c: None,
        parties=EVERYONE,
        data=lambda c: {"email": "producer@example.test"},
    )
)
for _method in ("post", "put"):
    add(
        Action(
            "accounts:password_reset_confirm",
            _method,
            "user",
            {"producer": NOBODY},
            lambda c: None,
            parties=EVERYONE,
            kwargs=lambda c: {"uidb64": _uid(c.target), "token": "forged-matrix-token"},
            data=lambda c: {"new_password1": "a-new-matrix-password", "new_password2": "a-new-matrix-password"},
            label="forged-token",
        )
    )


def _uid(user: Any) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk))


def _profile_data(c: Ctx) -> dict[str, Any]:
    if c.role in PRODUCERS:
        return {"organisation": "Matrix Farms", "country": "CO", "region": "Huila"}
    if c.role in ROASTERS:
        return {"company": "Matrix Roasters", "country": "DE"}
    if c.role in GRADERS:
        profile = c.user.q_grader_profile
        return {
            "licence_number": profile.licence_number,
            "licence_type": profile.licence_type,
            "licence_expires_on": profile.licence_expires_on.isoformat(),
            "lab": "Matrix Lab",
        }
    return {}


def _own_profile_changed(c: Ctx) -> None:
    from accounts.services import profile_for

    profile = profile_for(type(c.user).objects.get(pk=c.user.pk))
    marker = {"organisation", "company", "lab"}
    values = {getattr(profile, name, None) for name in marker}
    assert values & {"Matrix Farms", "Matrix Roasters", "Matrix Lab"}, f"profile not saved: {values}"


add(
    _stateless(
        "accounts:profile",
        "post",
        SIGNED_IN - MOD,  # everyone edits their own; a moderator has no profile form
        _own_profile_changed,
        parties=MOD,
        data=_profile_data,
    )
)
add(
    Action(
        "accounts:licence_verify",
        "post",
        "licence",
        {"unverified": MOD},
        is_set("licence_verified_at"),
        kwargs=pk(),
        data=lambda c: {"verified": "1"},
    )
)

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
# Price and weight are frozen while the lot is on an open auction (issue 13).
for _field, _change in (("price", Decimal("1.5")), ("weight_kg", Decimal("10"))):
    add(
        Action(
            "lot-detail",
            "patch",
            "lot",
            every(LOT_STATES, OWNER, **dict.fromkeys(FROZEN, NOBODY)),
            becomes(**{_field: lambda c, f=_field, d=_change: getattr(c.target, f) + d}),
            parties=OWNER,
            kwargs=pk(),
            data=lambda c, f=_field, d=_change: {f: str(getattr(c.target, f) + d), "version": c.target.version},
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
    _stateless(
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
            lambda c: None,
            parties=_owner,
            kwargs=pk(),
            data=lambda c: {"name": "Matrix", "region": "Matrix", "source": "matrix", "note": "matrix"},
            label="not-offered",
            refusal_codes=frozenset({405}),
        )
    )

# --- lots: the pages ------------------------------------------------------------------------------
add(
    _stateless(
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
        data=lambda c: {"name": "Matrix plot", "area_ha": "1.000", "latitude": "1.85", "longitude": "-75.91"},
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

# --- cupping --------------------------------------------------------------------------------------
# Graders cup public lots, and a private one only on request: the draft asks any verified grader,
# which a grader whose licence nobody has checked is not (they cannot take open requests).
CUPPABLE = every(PUBLIC, GRADERS) | {"draft": GRADER, "withdrawn": NOBODY}
add(
    Action(
        "cupping-sheet-list",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.CuppingSheet", lot=target, grader=caller, notes="matrix sheet"),
        parties=GRADERS,
        data=lambda c: (
            {
                "lot": c.target.pk,
                "protocol": "sca2004",
                "cupped_on": yesterday(),
                "independent": True,
                "notes": "matrix sheet",
            }
            | sca_values()
        ),
    )
)
add(
    Action(
        "cupping:sheet_new",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.CuppingSheet", lot=target, grader=caller, notes="matrix sheet"),
        parties=GRADERS,
        data=lambda c: (
            {"lot": c.target.pk, "cupped_on": yesterday(), "independent": "on", "notes": "matrix sheet"} | sca_values()
        ),
    )
)
add(
    Action(
        "green-grading-list",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.GreenGrading", lot=target, grader=caller, notes="matrix grading"),
        parties=GRADERS,
        data=lambda c: {"lot": c.target.pk, "graded_on": yesterday(), "notes": "matrix grading"} | GRADING,
    )
)
add(
    Action(
        "cupping:grading_new",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.GreenGrading", lot=target, grader=caller, notes="matrix grading"),
        parties=GRADERS,
        data=lambda c: {"lot": c.target.pk, "graded_on": yesterday(), "notes": "matrix grading"} | GRADING,
    )
)
for _route in ("cupping-sheet-withdraw", "cupping:sheet_withdraw"):
    add(
        Action(
            _route,
            "post",
            "sheet",
            {"active": GRADER_MOD},
            becomes(status="withdrawn"),
            kwargs=pk(),
            data=lambda c: {"reason": "matrix"},
        )
    )
for _route in ("green-grading-withdraw", "cupping:grading_withdraw"):
    add(
        Action(
            _route,
            "post",
            "grading",
            {"active": GRADER_MOD},
            becomes(status="withdrawn"),
            kwargs=pk(),
            data=lambda c: {"reason": "matrix"},
        )
    )
for _route in ("cupping-sheet-original", "cupping:sheet_original_upload"):
    add(
        Action(
            _route,
            "post",
            "sheet",
            {"active": GRADER},
            changes("original_sha256"),
            kwargs=pk(),
            data=lambda c: {"file": png((30, 30), "maroon")},
            fmt="multipart",
        )
    )
add(
    Action(
        "cupping-import",
        "post",
        "lot",
        every(("listed",), GRADERS),
        creates("cupping.CuppingSheet", lot=target, grader=caller, notes="matrix import"),
        parties=GRADERS,
        data=lambda c: {"csv": import_csv(c.target)},
        after=run_import_job,
    )
)
add(
    Action(
        "cupping:import",
        "post",
        "lot",
        every(("listed",), GRADERS),
        creates("cupping.CuppingSheet", lot=target, grader=caller, notes="matrix import"),
        parties=GRADERS,
        data=lambda c: {"file": SimpleUploadedFile("s.csv", import_csv(c.target).encode(), content_type="text/csv")},
        after=run_import_job,
    )
)


def _other_grader(c: Ctx) -> Any:
    return c.w["unverified_grader" if c.role == "q_grader" else "q_grader"]


def _no_sheet_in_another_name(c: Ctx) -> None:
    """Imported sheets are always the uploader's own (issue 13): none may carry the named grader."""
    from cupping.models import CuppingSheet

    forged = CuppingSheet.objects.filter(lot=c.target, grader=_other_grader(c), notes="matrix import")
    assert not forged.exists(), f"the import made a sheet in the name of {_other_grader(c).email}"


def _named_csv(c: Ctx) -> str:
    return import_csv(c.target, _other_grader(c).email)


# A CSV whose grader column names another grader: whatever the answer, no sheet may carry their name.
for _route, _data in (
    ("cupping-import", lambda c: {"csv": _named_csv(c)}),
    (
        "cupping:import",
        lambda c: {"file": SimpleUploadedFile("s.csv", _named_csv(c).encode(), content_type="text/csv")},
    ),
):
    add(
        Action(
            _route,
            "post",
            "lot",
            {"listed": GRADERS},
            _no_sheet_in_another_name,
            parties=GRADERS,
            data=_data,
            label="in-another-graders-name",
            any_answer=GRADERS,
            after=run_import_job,
        )
    )

# Producers ask for cupping of their own lots, any but a withdrawn one.
ASKABLE = every(LOT_STATES, OWNER, withdrawn=NOBODY)
add(
    Action(
        "cupping-request-list",
        "post",
        "lot",
        ASKABLE,
        creates("cupping.CuppingRequest", lot=target, note="matrix request"),
        parties=OWNER,
        data=lambda c: {"lot": c.target.pk, "note": "matrix request"},
        refusal_codes=frozenset({400}),  # not one of your lots
    )
)
add(
    Action(
        "cupping:requests",
        "post",
        "lot",
        ASKABLE,
        creates("cupping.CuppingRequest", lot=target, note="matrix request"),
        parties=OWNER,
        data=lambda c: {"lot": c.target.pk, "grader": "", "protocol": "", "note": "matrix request"},
        refusal_codes=frozenset({400}),  # the lot is not one of a stranger's choices
    )
)
for _route in ("cupping-request-accept", "cupping:request_accept"):
    add(
        Action(
            _route,
            "post",
            "cupping_request",
            {"open": GRADER, "open_to_grader": GRADER},
            becomes(status="accepted", grader_id=lambda c: c.w["q_grader"].pk),
            kwargs=pk(),
        )
    )
for _route in ("cupping-request-cancel", "cupping:request_cancel"):
    add(
        Action(
            _route,
            "post",
            "cupping_request",
            every(("open", "open_to_grader", "accepted"), OWNER),
            becomes(status="cancelled"),
            kwargs=pk(),
        )
    )

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
    _stateless(
        "api-sample-price",
        "put",
        PRODUCERS,
        creates("negotiation.SampleTerms", producer=caller, fee=Decimal("19.00")),
        data=lambda c: {"fee": "19.00", "currency": "USD"},
    )
)
add(
    _stateless(
        "negotiation:sample_terms",
        "post",
        PRODUCERS,
        creates("negotiation.SampleTerms", producer=caller, fee=Decimal("19.00")),
        data=lambda c: {"fee": "19.00", "currency": "USD"},
    )
)
# (API action, page action, who, from state, to status, payload)
SAMPLE_MOVES = (
    ("accept", "accept", OWNER, "requested", "accepted", {}),
    ("decline", "decline", OWNER, "requested", "declined", {"reason": "matrix"}),
    ("ship", "ship", OWNER, "accepted", "shipped", {"courier": "DHL", "tracking": "MX-S"}),
    ("arrived", "arrived", BUYER, "shipped", "arrived", {}),
    ("feedback", "feedback", BUYER, "arrived", "feedback", None),
)
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
            data=lambda c, p=api_payload: dict(p),
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
            kwargs=lambda c, a=_page: {"pk": c.target.pk, "action": a},
            data=lambda c, p=page_payload: dict(p),
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

# --- pricing (moderators) -------------------------------------------------------------------------
for _table, _model in PRICING_MODELS.items():
    _row = _pricing_row(_table)
    _lookup = {k: v for k, v in _row.items() if k in ("edition", "observed_on", "valid_on", "origin")}
    add(_stateless(f"pricing-{_table}-list", "post", MOD, creates(_model, **_lookup), data=lambda c, r=_row: dict(r)))
    _name, _value = PRICING_PATCH[_table]
    add(
        Action(
            f"pricing-{_table}-detail",
            "patch",
            _table,
            {"row": MOD},
            becomes(**{_name: _value}),
            kwargs=pk(),
            data=lambda c, n=_name, v=_value: {n: v},
        )
    )
    add(Action(f"pricing-{_table}-detail", "delete", _table, {"row": MOD}, deletes, kwargs=pk()))
add(_stateless("pricing-sweep", "post", MOD, creates("core.Job", kind="pricing.sweep")))
add(_stateless("pricing:sweep", "post", MOD, creates("core.Job", kind="pricing.sweep")))
add(
    _stateless(
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
    _stateless(
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
    _stateless(
        "stripe-webhook",
        "post",
        NOBODY,
        lambda c: None,
        data=lambda c: {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_matrix"}}},
        fmt="json",
        label="unsigned",
        refusal_codes=frozenset({400}),
    )
)

# --- micro-lot claims -----------------------------------------------------------------------------
# A producer claims a lot with no active claim; the "submitted" lot has one already.
CLAIMABLE = every(LOT_STATES, OWNER, submitted=NOBODY, withdrawn=NOBODY)
add(
    Action(
        "api-lot-claim",
        "post",
        "lot",
        CLAIMABLE,
        creates("moderation.MicroLotClaim", lot=target, statement=STATEMENT),
        parties=OWNER,
        kwargs=pk("lot_id"),
        data=lambda c: {"kind": "micro", "isolation": "geographic", "statement": STATEMENT},
    )
)
add(
    Action(
        "moderation:submit",
        "post",
        "lot",
        CLAIMABLE,
        creates("moderation.MicroLotClaim", lot=target, statement=STATEMENT),
        parties=OWNER,
        kwargs=pk("lot_id"),
        data=lambda c: {"kind": "micro", "isolation": "geographic", "statement": STATEMENT},
    )
)
DECIDABLE = {"submitted": MOD, "evidence_requested": MOD, "approved": MOD, "rejected": NOBODY}
add(
    Action(
        "api-claim-decision",
        "post",
        "claim",
        DECIDABLE,
        becomes(status=lambda c: DECIDED[_claim_decision(c)]),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {"decision": _claim_decision(c), "reason": "Matrix: checked against the evidence."},
    )
)
add(
    Action(
        "moderation:decide",
        "post",
        "claim",
        DECIDABLE,
        becomes(status=lambda c: DECIDED[_claim_decision(c)]),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {
            "decision": _claim_decision(c),
            "reason": "Matrix: checked against the evidence.",
            "evidence_version": c.target.evidence_version,
            "seen_status": c.target.status,
        },
    )
)
REPLIABLE = {"submitted": OWNER, "evidence_requested": OWNER, "approved": OWNER, "rejected": NOBODY}
for _route in ("api-claim-reply", "moderation:reply"):
    add(
        Action(
            _route,
            "post",
            "claim",
            REPLIABLE,
            creates("moderation.ClaimReply", claim=target, note="matrix reply"),
            parties=OWNER,
            kwargs=pk(),
            data=lambda c: {"note": "matrix reply"},
        )
    )
add(
    Action(
        "moderation:recompute",
        "post",
        "claim",
        every(("submitted", "evidence_requested", "approved"), MOD),
        changes("hallmarks_computed_at"),
        kwargs=pk(),
    )
)
