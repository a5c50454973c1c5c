"""The parts of the write matrix every topic uses: ``Action``, ``Ctx``, payload and effect helpers."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.security.matrix import (
    GRADER,
    MOD,
    NOBODY,
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
# Six decimals (about 10 cm) and inside the farm's country (Colombia): lots.services checks both.
POINT = {"type": "Point", "coordinates": [-75.912345, 1.852345]}


def import_csv(lot: Any, grader_email: str = "") -> str:
    from cupping.imports import IMPORT_COLUMNS

    row = {"lot": str(lot.pk), "grader": grader_email, "protocol": "sca2004", "cupped_on": yesterday()}
    row |= {"independent": "yes", "notes": "matrix import"} | {k: str(v) for k, v in sca_values().items()}
    header = [c for c in IMPORT_COLUMNS if c in row]
    return ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n"


def run_import_job(c: Ctx) -> None:
    """What the worker does after commit: run the caller's newest import job."""
    from core.models import Job
    from cupping.imports import cupping_import_run

    job = Job.objects.filter(kind="cupping_import", owner_id=getattr(c.user, "pk", None)).order_by("-created_at")
    newest = job.first()
    if newest is not None:
        cupping_import_run(job_id=newest.pk)


def payload(values: dict[str, Any]) -> Data:
    """A fixed payload (a fresh copy for every request)."""
    return lambda c: dict(values)


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


def nothing(c: Ctx) -> None:
    """For actions nobody may take: the refusal and the untouched rows are the whole check."""


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


def stateless(route: str, method: str, allowed: frozenset[str], effect: Effect, **more: Any) -> Action:
    return Action(route, method, "", {"-": allowed}, effect, **more)
