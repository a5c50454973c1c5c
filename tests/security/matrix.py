"""The expectation table of the permission matrix: every route of the URL configuration × every role.

Reads. ``MATRIX`` has one entry per URL name that answers GET: how to build its kwargs from the
world (tests/security/conftest.py) and which roles are ALLOWED; every other role must be REFUSED
(401/403/404, or a redirect to the login page). ``VARIANTS`` adds more reads of a URL ("<url name>
<label>": a second object, a query string). ``SECRETS`` lists texts of private rows that no read
may show outside their audience.

Writes. Every POST/PUT/PATCH/DELETE a route answers (``route_methods``) needs at least one entry
in ``tests/security/actions/``, which aims it at another user's object in every lifecycle state
and checks that refusals change no row and that allowed writes really happen.

A new route fails the test until it has its entries. A real permission bug the matrix finds is
listed in ``KNOWN_HOLES`` (case ids), which marks those cases xfail(strict=True) until the fix
lands: a listed case that passes fails the run, so delete its entry when the fix merges.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ROLES = (
    "anonymous",
    "producer",
    "second_producer",
    "roaster",
    "q_grader",
    "unverified_grader",
    "moderator",
    "outsider",
)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
PRODUCERS = frozenset({"producer", "second_producer"})
ROASTERS = frozenset({"roaster", "outsider"})
OWNER = frozenset({"producer"})
OWNER_MOD = frozenset({"producer", "moderator"})
PARTIES = frozenset({"producer", "roaster"})
PARTIES_MOD = PARTIES | {"moderator"}
MOD = frozenset({"moderator"})
GRADER = frozenset({"q_grader"})  # the world's grader, whose licence is verified
GRADERS = frozenset({"q_grader", "unverified_grader"})  # anyone signed up as a Q-grader
NOBODY: frozenset[str] = frozenset()

# Case ids of the write matrix (tests/security/actions/ ``case_id``) that fail because of a real
# hole in the app, each fixed in a branch of its own. They run as xfail(strict=True): delete an
# entry when its fix merges (the case then passes, and a strict xfail that passes fails the run).
KNOWN_HOLES: list[str] = []

# URLs deliberately outside the matrix: the admin site, the media route, the language switch.
SKIP_PREFIXES = ("admin/", "^media/", "media/", "i18n/")

W = dict[str, Any]


def pk(key: str, kwarg: str = "pk") -> Callable[[W], dict[str, Any]]:
    return lambda w: {kwarg: w[key].pk}


def no_kwargs(w: W) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One read (GET) of a URL."""

    allowed: frozenset[str]
    kwargs: Callable[[W], dict[str, Any]] = no_kwargs
    # A string of a private object (from the world) that the response may contain only for the
    # roles in `sees`; the roles in `sees` must find it (so the check can fail).
    secret: Callable[[W], str] | None = None
    sees: frozenset[str] = frozenset()
    # A query string for the URL, e.g. "status=draft".
    query: str = ""


def pay(w: W) -> dict[str, Any]:
    return {"id": str(w["payment"].public_id)}


def pay_page(w: W) -> dict[str, Any]:
    return {"public_id": w["payment"].public_id}


def item(w: W) -> dict[str, Any]:
    return {"pk": w["auction"].pk, "item_pk": w["auction_item"].pk}


def C(allowed: frozenset[str], kwargs: Callable[[W], dict[str, Any]] = no_kwargs, **more: Any) -> Case:
    return Case(allowed=frozenset(allowed), kwargs=kwargs, **more)


def DRAFT_CODE(w: W) -> str:
    return str(w["draft"].code)


def DRAFT_LOT_ID(w: W) -> str:
    return f'"lot":{w["draft"].pk},'


TRADERS = PRODUCERS | ROASTERS
TRADERS_MOD = TRADERS | MOD
PRODUCERS_MOD = PRODUCERS | MOD
OWNER_GRADER_MOD = frozenset({"producer", "q_grader", "moderator"})
GRADER_MOD = frozenset({"q_grader", "moderator"})
BUYER = frozenset({"roaster"})

# "lot" is the producer's listed lot, "draft" their private draft (with its own photo, custody
# document and premium row), so reads of private evidence are checked against the draft.
MATRIX: dict[str, Case] = {
    # --- project-level and core ---------------------------------------------------------------
    "schema": C(EVERYONE),
    "api-docs": C(EVERYONE),
    "api-redoc": C(EVERYONE),
    "home": C(EVERYONE),
    "healthz": C(EVERYONE),
    "notifications": C(SIGNED_IN, secret=lambda w: "secret-notification", sees=OWNER),
    "job_progress": C(GRADER_MOD, lambda w: {"job_id": w["job"].pk}),
    # --- accounts -----------------------------------------------------------------------------
    "api-tokens": C(SIGNED_IN, secret=lambda w: "matrix-device", sees=OWNER),
    "api-me": C(SIGNED_IN),
    "api-producer-profile": C(PRODUCERS),
    "accounts:signup": C(EVERYONE),
    "accounts:signup_sent": C(EVERYONE),
    "accounts:activate": C(EVERYONE, lambda w: {"uidb64": "MQ", "token": "confirm"}),
    "accounts:password_change": C(SIGNED_IN),
    "accounts:password_change_done": C(SIGNED_IN),
    "accounts:tokens": C(SIGNED_IN, secret=lambda w: "matrix-device", sees=OWNER),
    "accounts:login": C(EVERYONE),
    "accounts:password_reset": C(EVERYONE),
    "accounts:password_reset_done": C(EVERYONE),
    "accounts:password_reset_confirm": C(EVERYONE, lambda w: {"uidb64": "MQ", "token": "set-password"}),
    "accounts:password_reset_complete": C(EVERYONE),
    "accounts:dashboard": C(SIGNED_IN),
    "accounts:profile": C(SIGNED_IN),
    "accounts:licences": C(MOD),
    # --- lots API -----------------------------------------------------------------------------
    "lot-list": C(EVERYONE, secret=DRAFT_CODE),  # the catalogue: drafts for nobody
    "lot-detail": C(OWNER_MOD, pk("draft")),
    "lot-custody-verify": C(OWNER_MOD, pk("draft")),
    "lot-passport": C(OWNER_MOD, pk("draft")),
    "lot-photos": C(OWNER_MOD, pk("draft")),
    "lot-photo-detail": C(OWNER_MOD, lambda w: {"lot_pk": w["draft"].pk, "pk": w["draft_photo"].pk}),
    "lot-custody-events": C(OWNER_MOD, pk("draft")),
    "farm-list": C(PRODUCERS_MOD, secret=lambda w: w["farm"].name, sees=OWNER_MOD),
    "farm-detail": C(OWNER_MOD, pk("farm")),
    "plot-list": C(PRODUCERS_MOD, secret=lambda w: w["plot"].name, sees=OWNER_MOD),
    "plot-detail": C(OWNER_MOD, pk("plot")),
    "variety-match": C(EVERYONE),
    # --- lots pages ---------------------------------------------------------------------------
    "lots:catalogue": C(EVERYONE, secret=DRAFT_CODE),
    "lots:catalogue_csv": C(EVERYONE, secret=DRAFT_CODE),
    "lots:mine": C(PRODUCERS, secret=DRAFT_CODE, sees=OWNER),
    "lots:farm_create": C(PRODUCERS),
    "lots:farm_edit": C(OWNER, pk("farm")),
    "lots:plot_create": C(OWNER, pk("farm", "farm_pk")),
    "lots:plot_edit": C(OWNER, pk("plot")),
    "lots:create": C(PRODUCERS),
    "lots:detail": C(OWNER_MOD, pk("draft")),
    "lots:edit": C(OWNER, pk("draft")),
    "lots:photos": C(OWNER, pk("lot")),
    "lots:custody_add": C(OWNER, pk("lot")),
    "lots:passport": C(OWNER_MOD, pk("draft")),
    "lots:photo": C(OWNER_MOD, lambda w: {"pk": w["draft_photo"].pk, "size": "thumb"}),
    "lots:custody_document": C(OWNER_MOD, pk("draft_custody_document")),
    # --- cupping API --------------------------------------------------------------------------
    "cupping-sheet-list": C(SIGNED_IN),
    "cupping-sheet-detail": C(OWNER_GRADER_MOD, pk("draft_sheet")),
    "cupping-sheet-original": C(OWNER_GRADER_MOD, pk("sheet")),
    "cupping-import-job": C(GRADER_MOD, lambda w: {"job_id": w["job"].pk}),
    "green-grading-list": C(SIGNED_IN),
    "green-grading-detail": C(OWNER_GRADER_MOD, pk("draft_grading")),
    "cupping-request-list": C(PRODUCERS | GRADERS | MOD, secret=lambda w: "secret-request-note", sees=OWNER_GRADER_MOD),
    "cupping-request-detail": C(OWNER_GRADER_MOD, pk("cupping_request")),
    "lot-score-list": C(SIGNED_IN),
    # --- cupping pages ------------------------------------------------------------------------
    "cupping:requests": C(PRODUCERS, secret=lambda w: f'id="request-{w["cupping_request"].pk}"', sees=OWNER),
    "cupping:queue": C(GRADERS),
    "cupping:sheet_new": C(GRADERS),
    "cupping:sheet": C(OWNER_GRADER_MOD, pk("draft_sheet")),
    "cupping:sheet_original": C(OWNER_GRADER_MOD, pk("sheet")),
    "cupping:grading_new": C(GRADERS),
    "cupping:grading": C(OWNER_GRADER_MOD, pk("draft_grading")),
    "cupping:import": C(GRADERS),
    "cupping:import_template": C(GRADERS),
    "cupping:import_job": C(GRADER_MOD, lambda w: {"job_id": w["job"].pk}),
    "cupping:calibration": C(MOD),
    # --- trade API ----------------------------------------------------------------------------
    "api-sample-price": C(PRODUCERS),
    "samples-list": C(TRADERS_MOD, secret=lambda w: "secret-sample-message", sees=PARTIES_MOD),
    "samples-detail": C(PARTIES_MOD, pk("sample")),
    "negotiations-list": C(TRADERS_MOD, secret=lambda w: "secret-negotiation-condition", sees=PARTIES_MOD),
    "negotiations-detail": C(PARTIES_MOD, pk("negotiation")),
    "orders-list": C(TRADERS_MOD, secret=lambda w: w["order"].number, sees=PARTIES_MOD),
    "orders-detail": C(PARTIES_MOD, pk("order")),
    # --- trade pages --------------------------------------------------------------------------
    "negotiation:trade": C(TRADERS),
    "negotiation:negotiation_open": C(ROASTERS, pk("lot", "lot_id")),
    "negotiation:sample_request": C(ROASTERS, pk("lot", "lot_id")),
    "negotiation:negotiation_detail": C(PARTIES_MOD, pk("negotiation")),
    "negotiation:sample_terms": C(PRODUCERS),
    "negotiation:sample_detail": C(PARTIES_MOD, pk("sample")),
    "negotiation:order_detail": C(PARTIES_MOD, pk("order")),
    "negotiation:order_document": C(PARTIES_MOD, lambda w: {"pk": w["order"].pk, "doc_id": w["order_document"].pk}),
    "negotiation:claims": C(MOD),
    # --- auctions -----------------------------------------------------------------------------
    "auction-list": C(EVERYONE),
    "auction-detail": C(EVERYONE, pk("auction")),
    "auction-bids": C(EVERYONE, pk("auction")),  # public history: only your own bids while open
    "auctions:list": C(EVERYONE),
    "auctions:create": C(PRODUCERS_MOD),
    "auctions:competition": C(ROASTERS),
    "auctions:detail": C(EVERYONE, pk("auction")),
    "auctions:item_live": C(EVERYONE, item),
    # --- pricing ------------------------------------------------------------------------------
    "pricing-lot-premium": C(OWNER_MOD, pk("draft", "lot_id")),
    "pricing-baseline-list": C(EVERYONE),
    "pricing-baseline-detail": C(EVERYONE, pk("baseline")),
    "pricing-cprice-list": C(EVERYONE),
    "pricing-cprice-detail": C(EVERYONE, pk("cprice")),
    "pricing-rate-list": C(EVERYONE),
    "pricing-rate-detail": C(EVERYONE, pk("rate")),
    "pricing-adjustment-list": C(EVERYONE),
    "pricing-adjustment-detail": C(EVERYONE, pk("adjustment")),
    "pricing:baselines": C(MOD),
    "pricing:create": C(MOD, lambda w: {"kind": "baseline"}),
    "pricing:edit": C(MOD, lambda w: {"kind": "baseline", "pk": w["baseline"].pk}),
    "pricing:import": C(MOD, lambda w: {"kind": "baseline"}),
    # --- competitions (the world's result is pending, on the producer's draft) -----------------
    "competition-result-list": C(EVERYONE, secret=lambda w: f'"id":{w["competition_result"].pk},', sees=OWNER_MOD),
    "competition-result-detail": C(OWNER_MOD, pk("competition_result")),
    "competitions:lot_results": C(OWNER_MOD, pk("draft", "lot_id")),
    "competitions:queue": C(MOD),
    "competitions:document": C(OWNER_MOD, pk("competition_result")),
    # --- payments -----------------------------------------------------------------------------
    "api-payment-ledger": C(PRODUCERS_MOD),
    "api-payment-list": C(TRADERS_MOD, secret=lambda w: str(w["payment"].public_id), sees=PARTIES_MOD),
    "api-payment-detail": C(PARTIES_MOD, pay),
    "payments:index": C(TRADERS_MOD, secret=lambda w: str(w["payment"].public_id), sees=PARTIES_MOD),
    "payments:detail": C(PARTIES_MOD, pay_page),
    "payments:checkout": C(BUYER, pay_page),
    "payments:return": C(BUYER | MOD, pay_page),
    # --- moderation ---------------------------------------------------------------------------
    "api-lot-claim": C(OWNER_MOD, pk("lot", "lot_id")),
    "api-lot-verification": C(OWNER_MOD, pk("draft", "lot_id")),  # public for public lots, like the lot itself
    "api-claims": C(PRODUCERS_MOD, secret=lambda w: f'"id":{w["claim"].pk},', sees=OWNER_MOD),
    "moderation:queue": C(MOD),
    "moderation:my_claims": C(PRODUCERS),
    "moderation:submit": C(OWNER, pk("draft", "lot_id")),
    "moderation:claim": C(OWNER_MOD, pk("claim")),
}


# --- The URL configuration, flattened -----------------------------------------------------------


def flat_urls() -> list[tuple[str, str]]:
    """Every URLPattern as (full route, name with namespaces), minus SKIP_PREFIXES.

    An unnamed pattern is keyed by its route, so it still needs an entry of its own.
    """
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(SKIP_PREFIXES):
                    continue
                name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
                found.append((route, name or route))

    walk(get_resolver().url_patterns, "", None)
    return found


WRITE_METHODS = ("post", "put", "patch", "delete")


def view_methods(callback: Any) -> set[str]:
    """The HTTP methods (lower case, without HEAD/OPTIONS) a URL pattern's view answers.

    A REST framework viewset: the methods its router mapped to an action (a PUT the viewset then
    refuses with 405 still counts: it is routed). A class-based view: its handlers. A function
    view: what ``require_http_methods`` allows, else GET, plus POST when the view reads a request
    body (``request.POST``, ``request.FILES``, ``request.body`` or ``request.method``).
    """
    actions = getattr(callback, "actions", None)
    if actions:
        return {m.lower() for m in actions} - {"head", "options"}
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        return {m for m in cls.http_method_names if m not in ("head", "options") and hasattr(cls, m)}
    func: Any = callback
    while func is not None:
        try:
            allowed = inspect.getclosurevars(func).nonlocals.get("request_method_list")
        except (TypeError, ValueError):
            allowed = None
        if allowed:
            return {m.lower() for m in allowed} - {"head", "options"}
        func = getattr(func, "__wrapped__", None)
    source = inspect.getsource(inspect.unwrap(callback))
    reads_body = any(f"request.{attr}" in source for attr in ("POST", "FILES", "body", "method"))
    return {"get", "post"} if reads_body else {"get"}


def route_methods() -> dict[str, set[str]]:
    """URL name (as in ``flat_urls``) -> the HTTP methods its view answers."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, set[str]] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(SKIP_PREFIXES):
                    continue
                name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
                found.setdefault(name or route, set()).update(view_methods(p.callback))

    walk(get_resolver().url_patterns, "", None)
    return found


def reverse_name(name: str, kwargs: dict[str, Any]) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


# More reads of a URL: "<url name> <label>" -> Case.
VARIANTS: dict[str, Case] = {
    # The sheets and gradings of the listed lot are public evidence (the main entries use the draft's).
    "cupping-sheet-detail public": C(SIGNED_IN, pk("sheet")),
    "green-grading-detail public": C(SIGNED_IN, pk("grading")),
    "cupping:sheet public": C(SIGNED_IN, pk("sheet")),
    "cupping:grading public": C(SIGNED_IN, pk("grading")),
    # The listed lot is public; its draft sibling cannot be traded, nor even seen, by buyers.
    "lot-detail public": C(EVERYONE, pk("lot")),
    "lots:detail public": C(EVERYONE, pk("lot")),
    "negotiation:negotiation_open draft": C(NOBODY, pk("draft", "lot_id")),
    "negotiation:sample_request draft": C(NOBODY, pk("draft", "lot_id")),
    # Query parameters must not widen what a list shows.
    "lot-list status=draft": C(EVERYONE, query="status=draft", secret=DRAFT_CODE),
    "lot-list mine": C(EVERYONE, query="mine=1", secret=DRAFT_CODE, sees=OWNER),
    "cupping-sheet-list lot=draft": C(
        SIGNED_IN, query="lot={draft}", secret=lambda w: "secret-draft-sheet", sees=OWNER_GRADER_MOD
    ),
    "green-grading-list lot=draft": C(
        SIGNED_IN, query="lot={draft}", secret=lambda w: "secret-draft-grading", sees=OWNER_GRADER_MOD
    ),
    "lot-score-list lot=draft": C(SIGNED_IN, query="lot={draft}", secret=DRAFT_LOT_ID, sees=OWNER_MOD),
    "lots:catalogue status=draft": C(EVERYONE, query="status=draft", secret=DRAFT_CODE),
    # Two ids that each exist but do not belong together.
    "lot-photo-detail mixed": C(NOBODY, lambda w: {"lot_pk": w["lot"].pk, "pk": w["draft_photo"].pk}),
    "negotiation:order_document mixed": C(
        NOBODY, lambda w: {"pk": w["unpaid_order"].pk, "doc_id": w["order_document"].pk}
    ),
    "auctions:item_live mixed": C(NOBODY, lambda w: {"pk": w["auction"].pk, "item_pk": 10**9}),
}


# Strings of private rows and who may see them. Every page and read in the matrix is searched:
# a 200 that shows one of them to anybody else fails, whatever the URL.
SECRETS: list[tuple[str, Callable[[W], str], frozenset[str]]] = [
    ("the draft's code", DRAFT_CODE, OWNER_GRADER_MOD),
    ("the cupping request's note", lambda w: "secret-request-note", OWNER_GRADER_MOD),
    ("the negotiation's condition", lambda w: "secret-negotiation-condition", PARTIES_MOD),
    ("the sample request's message", lambda w: "secret-sample-message", PARTIES_MOD),
    ("the producer's notification", lambda w: "secret-notification", OWNER),
    ("the payment's id", lambda w: str(w["payment"].public_id), PARTIES_MOD),
    ("the quality claim", lambda w: "Musty cups in two bags.", PARTIES_MOD),
    ("the micro-lot claim's statement", lambda w: "Picked from the top terrace", OWNER_MOD),
    ("the draft's cupping notes", lambda w: "secret-draft-sheet", OWNER_GRADER_MOD),
    ("the draft's grading notes", lambda w: "secret-draft-grading", OWNER_GRADER_MOD),
]


def case_for(key: str) -> Case:
    """The Case of a read: a URL name or "<URL name> <label>"."""
    return VARIANTS[key] if key in VARIANTS else MATRIX[key]
