"""The expectation table of the permission matrix: every URL of the URL configuration × every role.

Each entry names a URL (``namespace:name``) and says how to call it (method, kwargs from the
world) and which roles are ALLOWED. Every other role must be REFUSED: 401/403/404, or a redirect
to the login page. Anonymous is never in ALLOWED unless the URL is public.

Roles: anonymous, producer (owns the farm, plot, lots, auction and claim; the seller),
second_producer (another producer, no part in anything), roaster (the buyer: negotiation, sample,
orders, payment, quality claim), q_grader (cupped and graded the lot; owns the import job),
moderator, outsider (a roaster with no part in anything).

MATRIX has exactly one entry per URL name (its main method). WRITES adds more cases for a URL
("<url name> <label>": other HTTP methods, a second object, form posts). SECRETS lists texts of
private rows that no page or read may show outside their audience.

A new URL fails the test until it has an entry here: add it to MATRIX with the roles allowed
and, if it takes kwargs, how to build them from the world (tests/security/conftest.py). A real
permission bug is recorded in the case's ``bugs`` (role -> reason), which marks that one pair
xfail(strict=True) until the app is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "producer", "second_producer", "roaster", "q_grader", "moderator", "outsider")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
PRODUCERS = frozenset({"producer", "second_producer"})
ROASTERS = frozenset({"roaster", "outsider"})
OWNER = frozenset({"producer"})
OWNER_MOD = frozenset({"producer", "moderator"})
PARTIES = frozenset({"producer", "roaster"})
PARTIES_MOD = PARTIES | {"moderator"}
MOD = frozenset({"moderator"})
GRADER = frozenset({"q_grader"})
NOBODY: frozenset[str] = frozenset()

# URLs deliberately outside the matrix: the admin site, the media route, the language switch.
SKIP_PREFIXES = ("admin/", "^media/", "media/", "i18n/")

W = dict[str, Any]

# Minimal valid input for every write the matrix sends; views ignore the fields they do not use.
POST_DATA: dict[str, Any] = {
    "reason": "Checked by the permission matrix.",
    "resolution": "Checked by the permission matrix.",
    "outcome": "rejected",
    "description": "Musty cups in two of the bags.",
    "note": "Checked by the permission matrix.",
    "notes": "Clean and sweet.",
    "courier": "DHL",
    "tracking": "TRK-1",
    "score": "85.00",
    "feedback_score": "85.00",
    "amount": "1.00",
    "payment_method": "pm_card_visa",
    "to": "listed",
    "decision": "request_evidence",
    "quantity_kg": "40",
    "price": "27.00",
    "currency": "USD",
    "price_unit": "kg",
    "incoterm": "FOB",
    "incoterm_place": "Buenaventura",
    "shipment_window": "April 2027",
    "amount_per_kg": "150",
    "grams": 300,
    "verified": "1",
    "mode": "full",
}


def pk(key: str, kwarg: str = "pk") -> Callable[[W], dict[str, Any]]:
    return lambda w: {kwarg: w[key].pk}


def no_kwargs(w: W) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    kwargs: Callable[[W], dict[str, Any]] = no_kwargs
    method: str = "get"
    # Merged over POST_DATA: enough valid input that the permission check is reached, not a 400.
    data: Callable[[W], dict[str, Any]] | dict[str, Any] = field(default_factory=dict)
    # A string of a private object (from the world) that the response may contain only for the
    # roles in `sees`; the roles in `sees` must find it (so the check can fail).
    secret: Callable[[W], str] | None = None
    sees: frozenset[str] = frozenset()
    # Extra answers that count as a refusal for the refused roles of this case: a 400 "no such
    # lot/farm" is how a scoped write refuses an object named in the body rather than the URL.
    refusal_codes: frozenset[int] = frozenset()
    # A query string for the URL, e.g. "status=draft".
    query: str = ""
    # How a write is encoded: "json" for the API, "multipart" (a browser's form) for pages.
    fmt: str = ""
    # Roles whose case is a known permission bug: role -> reason (marked xfail(strict=True)).
    bugs: dict[str, str] = field(default_factory=dict)


def pay(w: W) -> dict[str, Any]:
    return {"id": str(w["payment"].public_id)}


def pay_page(w: W) -> dict[str, Any]:
    return {"public_id": w["payment"].public_id}


def item(w: W) -> dict[str, Any]:
    return {"pk": w["auction"].pk, "item_pk": w["auction_item"].pk}


def write(method: str, allowed: frozenset[str], kwargs: Callable[[W], dict[str, Any]] = no_kwargs, **more: Any) -> Case:
    return Case(allowed=frozenset(allowed), kwargs=kwargs, method=method, **more)


def C(allowed: frozenset[str], kwargs: Callable[[W], dict[str, Any]] = no_kwargs, **more: Any) -> Case:
    return Case(allowed=frozenset(allowed), kwargs=kwargs, **more)


def POST(allowed: frozenset[str], kwargs: Callable[[W], dict[str, Any]] = no_kwargs, **more: Any) -> Case:
    return Case(allowed=frozenset(allowed), kwargs=kwargs, method="post", **more)


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
    "stripe-webhook": POST(EVERYONE),  # authenticated by its signature: an unsigned body is a 400
    "home": C(EVERYONE),
    "healthz": C(EVERYONE),
    "notifications": C(SIGNED_IN, secret=lambda w: "secret-notification", sees=OWNER),
    "notifications_read": POST(SIGNED_IN),
    "job_progress": C(GRADER_MOD, lambda w: {"job_id": w["job"].pk}),
    # --- accounts -----------------------------------------------------------------------------
    "api-register": POST(EVERYONE),
    "api-activate": POST(EVERYONE),  # the e-mailed link's uid and token are the credential
    "api-token": POST(EVERYONE),
    "api-tokens": C(SIGNED_IN, secret=lambda w: "matrix-device", sees=OWNER),
    "api-tokens-revoke-all": POST(SIGNED_IN),  # each user's own tokens
    "api-token-revoke": write("delete", OWNER, pk("api_token")),
    "api-me": C(SIGNED_IN),
    "api-producer-profile": C(PRODUCERS),
    "accounts:signup": C(EVERYONE),
    "accounts:signup_sent": C(EVERYONE),
    "accounts:activate": C(EVERYONE, lambda w: {"uidb64": "MQ", "token": "confirm"}),
    "accounts:password_change": C(SIGNED_IN),
    "accounts:password_change_done": C(SIGNED_IN),
    "accounts:tokens": C(SIGNED_IN, secret=lambda w: "matrix-device", sees=OWNER),
    "accounts:token_revoke": POST(OWNER, pk("api_token")),
    "accounts:tokens_revoke_all": POST(SIGNED_IN),
    "accounts:login": C(EVERYONE),
    "accounts:logout": POST(EVERYONE),
    "accounts:password_reset": C(EVERYONE),
    "accounts:password_reset_done": C(EVERYONE),
    "accounts:password_reset_confirm": C(EVERYONE, lambda w: {"uidb64": "MQ", "token": "set-password"}),
    "accounts:password_reset_complete": C(EVERYONE),
    "accounts:dashboard": C(SIGNED_IN),
    "accounts:profile": C(SIGNED_IN),
    "accounts:licences": C(MOD),
    "accounts:licence_verify": POST(MOD, pk("licence")),
    # --- lots API -----------------------------------------------------------------------------
    "lot-list": C(EVERYONE, secret=DRAFT_CODE),  # the catalogue: drafts for nobody
    "lot-detail": C(OWNER_MOD, pk("draft")),
    "lot-custody-verify": C(OWNER_MOD, pk("draft")),
    "lot-passport": C(OWNER_MOD, pk("draft")),
    "lot-transition": POST(OWNER_MOD, pk("draft")),  # the service lets moderators move any lot
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
    "lots:transition": POST(OWNER, pk("draft")),
    "lots:variety_answer": POST(OWNER, pk("draft")),
    "lots:photos": C(OWNER, pk("lot")),
    "lots:custody_add": C(OWNER, pk("lot")),
    "lots:passport": C(OWNER_MOD, pk("draft")),
    "lots:photo_delete": POST(OWNER, pk("photo")),
    "lots:photo": C(OWNER_MOD, lambda w: {"pk": w["draft_photo"].pk, "size": "thumb"}),
    "lots:custody_document": C(OWNER_MOD, pk("draft_custody_document")),
    # --- cupping API --------------------------------------------------------------------------
    "cupping-sheet-list": C(SIGNED_IN),
    "cupping-sheet-detail": C(OWNER_GRADER_MOD, pk("draft_sheet")),
    "cupping-sheet-original": C(OWNER_GRADER_MOD, pk("sheet")),
    "cupping-sheet-withdraw": POST(GRADER_MOD, pk("sheet")),
    "cupping-import": POST(GRADER),
    "cupping-import-job": C(GRADER_MOD, lambda w: {"job_id": w["job"].pk}),
    # Only the uploader answers a preview (the world's job waits to be checked: 409 for them).
    "cupping-import-confirm": POST(GRADER, lambda w: {"job_id": w["job"].pk}),
    "cupping-import-cancel": POST(GRADER, lambda w: {"job_id": w["job"].pk}),
    "green-grading-list": C(SIGNED_IN),
    "green-grading-detail": C(OWNER_GRADER_MOD, pk("draft_grading")),
    "green-grading-withdraw": POST(GRADER_MOD, pk("grading")),
    "cupping-request-list": C(PRODUCERS | GRADER_MOD, secret=lambda w: "secret-request-note", sees=OWNER_GRADER_MOD),
    "cupping-request-detail": C(OWNER_GRADER_MOD, pk("cupping_request")),
    "cupping-request-accept": POST(GRADER, pk("cupping_request")),
    "cupping-request-cancel": POST(OWNER, pk("cupping_request")),
    "lot-score-list": C(SIGNED_IN),
    # --- cupping pages ------------------------------------------------------------------------
    "cupping:requests": C(PRODUCERS, secret=lambda w: f'id="request-{w["cupping_request"].pk}"', sees=OWNER),
    "cupping:request_cancel": POST(OWNER, pk("cupping_request")),
    "cupping:request_accept": POST(GRADER, pk("cupping_request")),
    "cupping:queue": C(GRADER),
    "cupping:sheet_new": C(GRADER),
    "cupping:sheet": C(OWNER_GRADER_MOD, pk("draft_sheet")),
    "cupping:sheet_withdraw": POST(GRADER_MOD, pk("sheet")),
    "cupping:sheet_original": C(OWNER_GRADER_MOD, pk("sheet")),
    "cupping:sheet_original_upload": POST(GRADER, pk("sheet")),
    "cupping:grading_new": C(GRADER),
    "cupping:grading": C(OWNER_GRADER_MOD, pk("draft_grading")),
    "cupping:grading_withdraw": POST(GRADER_MOD, pk("grading")),
    "cupping:import": C(GRADER),
    "cupping:import_template": C(GRADER),
    "cupping:import_job": C(GRADER_MOD, lambda w: {"job_id": w["job"].pk}),
    "cupping:import_confirm": POST(GRADER, lambda w: {"job_id": w["job"].pk}),
    "cupping:import_cancel": POST(GRADER, lambda w: {"job_id": w["job"].pk}),
    "cupping:calibration": C(MOD),
    # --- trade API ----------------------------------------------------------------------------
    "api-sample-price": C(PRODUCERS),
    "samples-list": C(TRADERS_MOD, secret=lambda w: "secret-sample-message", sees=PARTIES_MOD),
    "samples-detail": C(PARTIES_MOD, pk("sample")),
    "samples-accept": POST(OWNER, pk("sample")),
    "samples-decline": POST(OWNER, pk("sample")),
    "samples-ship": POST(OWNER, pk("sample")),
    "samples-arrived": POST(BUYER, pk("sample")),
    "samples-feedback": POST(BUYER, pk("sample")),
    "negotiations-list": C(TRADERS_MOD, secret=lambda w: "secret-negotiation-condition", sees=PARTIES_MOD),
    "negotiations-detail": C(PARTIES_MOD, pk("negotiation")),
    "negotiations-accept": POST(PARTIES, pk("negotiation")),
    "negotiations-counter": POST(PARTIES, pk("negotiation")),
    "negotiations-reject": POST(PARTIES, pk("negotiation")),
    "negotiations-withdraw": POST(BUYER, pk("negotiation")),  # the one who made the offer
    "orders-list": C(TRADERS_MOD, secret=lambda w: w["order"].number, sees=PARTIES_MOD),
    "orders-detail": C(PARTIES_MOD, pk("order")),
    "orders-cancel": POST(PARTIES, pk("unpaid_order")),
    "orders-claim": POST(BUYER, pk("order")),
    "orders-confirm-delivery": POST(BUYER, pk("order")),
    "orders-ship": POST(OWNER, pk("order")),
    # --- trade pages --------------------------------------------------------------------------
    "negotiation:trade": C(TRADERS),
    "negotiation:negotiation_open": C(ROASTERS, pk("lot", "lot_id")),
    "negotiation:sample_request": C(ROASTERS, pk("lot", "lot_id")),
    "negotiation:negotiation_detail": C(PARTIES_MOD, pk("negotiation")),
    "negotiation:negotiation_counter": POST(PARTIES, pk("negotiation")),
    "negotiation:negotiation_accept": POST(PARTIES, pk("negotiation")),
    "negotiation:negotiation_reject": POST(PARTIES, pk("negotiation")),
    "negotiation:negotiation_withdraw": POST(BUYER, pk("negotiation")),
    "negotiation:sample_terms": C(PRODUCERS),
    "negotiation:sample_detail": C(PARTIES_MOD, pk("sample")),
    "negotiation:sample_action": POST(OWNER, lambda w: {"pk": w["sample"].pk, "action": "accept"}),
    "negotiation:order_detail": C(PARTIES_MOD, pk("order")),
    "negotiation:order_ship": POST(OWNER, pk("order")),
    "negotiation:order_delivered": POST(BUYER, pk("order")),
    "negotiation:order_claim": POST(BUYER, pk("order")),
    "negotiation:order_cancel": POST(PARTIES, pk("unpaid_order")),
    "negotiation:order_document": C(PARTIES_MOD, lambda w: {"pk": w["order"].pk, "doc_id": w["order_document"].pk}),
    "negotiation:claims": C(MOD),
    "negotiation:claim_resolve": POST(MOD, pk("quality_claim")),
    # --- auctions -----------------------------------------------------------------------------
    "auction-list": C(EVERYONE),
    "auction-detail": C(EVERYONE, pk("auction")),
    "auction-bids": C(EVERYONE, pk("auction")),  # public history: only your own bids while open
    "auction-cancel": POST(OWNER_MOD, pk("auction")),
    "auctions:list": C(EVERYONE),
    "auctions:create": C(PRODUCERS_MOD),
    "auctions:competition": C(ROASTERS),
    "auctions:detail": C(EVERYONE, pk("auction")),
    "auctions:cancel": POST(OWNER_MOD, pk("auction")),
    "auctions:item_live": C(EVERYONE, item),
    "auctions:bid": POST(ROASTERS, item),
    # --- pricing ------------------------------------------------------------------------------
    "pricing-lot-premium": C(OWNER_MOD, pk("draft", "lot_id")),
    "pricing-sweep": POST(MOD),
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
    "pricing:delete": POST(MOD, lambda w: {"kind": "baseline", "pk": w["baseline"].pk}),
    "pricing:import": C(MOD, lambda w: {"kind": "baseline"}),
    "pricing:sweep": POST(MOD),
    # --- competitions (the world's result is pending, on the producer's draft) -----------------
    "competition-result-list": C(EVERYONE, secret=lambda w: f'"id":{w["competition_result"].pk},', sees=OWNER_MOD),
    "competition-result-detail": C(OWNER_MOD, pk("competition_result")),
    "competition-result-verify": POST(MOD, pk("competition_result")),
    "competition-result-reject": POST(MOD, pk("competition_result")),
    "competitions:lot_results": C(OWNER_MOD, pk("draft", "lot_id")),
    "competitions:queue": C(MOD),
    "competitions:decide": POST(MOD, pk("competition_result")),
    "competitions:document": C(OWNER_MOD, pk("competition_result")),
    # --- payments -----------------------------------------------------------------------------
    "api-payment-ledger": C(PRODUCERS_MOD),
    "api-payment-list": C(TRADERS_MOD, secret=lambda w: str(w["payment"].public_id), sees=PARTIES_MOD),
    "api-payment-detail": C(PARTIES_MOD, pay),
    "api-payment-confirm": POST(BUYER, pay),
    "api-payment-received": POST(MOD, pay),
    "api-payment-refunds": POST(MOD, pay),
    "payments:index": C(TRADERS_MOD, secret=lambda w: str(w["payment"].public_id), sees=PARTIES_MOD),
    "payments:open": POST(BUYER, data=lambda w: {"subject_kind": "order", "subject_id": w["unpaid_order"].pk}),
    "payments:lot_terms": POST(OWNER, pk("lot", "lot_id")),
    "payments:detail": C(PARTIES_MOD, pay_page),
    "payments:checkout": C(BUYER, pay_page),
    "payments:confirm": POST(BUYER, pay_page, fmt="json"),  # posted by checkout.js
    "payments:return": C(BUYER | MOD, pay_page),
    "payments:refund": POST(MOD, pay_page),
    "payments:received": POST(MOD, pay_page),
    # --- moderation ---------------------------------------------------------------------------
    "api-lot-claim": C(OWNER_MOD, pk("lot", "lot_id")),
    "api-lot-verification": C(OWNER_MOD, pk("draft", "lot_id")),  # public for public lots, like the lot itself
    "api-claims": C(PRODUCERS_MOD, secret=lambda w: f'"id":{w["claim"].pk},', sees=OWNER_MOD),
    "api-claim-decision": POST(MOD, pk("claim")),
    "api-claim-reply": POST(OWNER, pk("claim")),
    "moderation:queue": C(MOD),
    "moderation:my_claims": C(PRODUCERS),
    "moderation:submit": C(OWNER, pk("draft", "lot_id")),
    "moderation:claim": C(OWNER_MOD, pk("claim")),
    "moderation:decide": POST(MOD, pk("claim")),
    "moderation:reply": POST(OWNER, pk("claim")),
    "moderation:recompute": POST(MOD, pk("claim")),
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


def reverse_name(name: str, kwargs: dict[str, Any]) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


POINT = {"type": "Point", "coordinates": [-75.912345, 1.852345]}


def _lot_body(key: str) -> Callable[[W], dict[str, Any]]:
    return lambda w: {"lot": w[key].pk}


def _auction_body(w: W) -> dict[str, Any]:
    from django.utils import timezone

    now = timezone.now()
    return {
        "title": "Matrix auction",
        "increment_per_kg": "1",
        "starts_at": now.isoformat(),
        "ends_at": (now + timezone.timedelta(hours=1)).isoformat(),
        "lots": [{"lot": w["lot"].pk, "opening_price_per_kg": "100"}],
    }


# More cases for a URL: the other methods of the API's read-write endpoints, and calls about a
# second object: "<url name> <label>" -> Case.
# Creates name their object in the body; a role that may create its own but not on someone
# else's object may be refused with a 400 (refusal_codes).
WRITES: dict[str, Case] = {
    "lot-list POST": write("post", PRODUCERS),
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
    # Refused like a lot that does not exist (400 "Invalid pk"), so drafts cannot be probed.
    "samples-list POST draft": write("post", NOBODY, data=_lot_body("draft"), refusal_codes=frozenset({400})),
    "negotiations-list POST draft": write("post", NOBODY, data=_lot_body("draft"), refusal_codes=frozenset({400})),
    "lot-detail PATCH": write("patch", OWNER, pk("draft"), data={"name": "Renamed"}),
    "lot-photos POST": write("post", OWNER, pk("draft"), fmt="multipart"),
    "lot-photo-detail DELETE": write("delete", OWNER, lambda w: {"lot_pk": w["draft"].pk, "pk": w["draft_photo"].pk}),
    "lot-custody-events POST": write("post", OWNER, pk("draft")),
    "farm-list POST": write("post", PRODUCERS, data={"name": "New farm"}),
    "farm-detail PATCH": write("patch", OWNER, pk("farm"), data={"region": "Cauca"}),
    "plot-list POST": write(
        "post",
        OWNER,
        data=lambda w: {"farm": w["farm"].pk, "name": "New plot", "area_ha": "1.000", "geometry": POINT},
        refusal_codes=frozenset({400}),
    ),
    "plot-detail PATCH": write("patch", OWNER, pk("plot"), data={"name": "Renamed"}),
    "cupping-sheet-list POST": write("post", GRADER, data=_lot_body("lot")),
    "cupping-sheet-original POST": write("post", GRADER, pk("sheet"), fmt="multipart"),
    "green-grading-list POST": write("post", GRADER, data=_lot_body("lot")),
    "cupping-request-list POST": write("post", OWNER, data=_lot_body("lot"), refusal_codes=frozenset({400})),
    "api-sample-price PUT": write("put", PRODUCERS, data={"fee": "20.00"}),
    "samples-list POST": write("post", ROASTERS, data=_lot_body("lot")),
    "negotiations-list POST": write("post", ROASTERS, data=_lot_body("lot")),
    "auction-list POST": write("post", OWNER_MOD, data=_auction_body, refusal_codes=frozenset({400})),
    "auction-bids POST": write("post", ROASTERS, pk("auction"), data=lambda w: {"lot": w["auction_item"].pk}),
    "api-payment-list POST": write(
        "post", BUYER, data=lambda w: {"subject_kind": "order", "subject_id": w["unpaid_order"].pk}
    ),
    "api-lot-claim POST": write(
        "post", OWNER, pk("draft", "lot_id"), data={"kind": "micro", "isolation": "geographic", "statement": "x" * 40}
    ),
    "competition-result-list POST": write(
        "post",
        OWNER,
        data=lambda w: {
            "lot": w["draft"].pk,
            "competition": "national",
            "name": "Concurso Nacional",
            "year": 2025,
            "rank": 1,
            "jury_score": "89.50",
            "jury_protocol": "sca2004",
            "url": "https://example.org/results",
        },
    ),
    # Everyone who may open the lot reads its results there; only its producer records one.
    "competitions:lot_results POST": write("post", OWNER, pk("draft", "lot_id")),
}
# The pages' forms, posted: the POST branch of a GET/POST view must refuse as its GET does.
WRITES.update(
    {
        f"{name} POST": write("post", case.allowed, case.kwargs)
        for name, case in {**MATRIX, **WRITES}.items()
        if name
        in {
            "accounts:profile",
            "lots:farm_create",
            "lots:farm_edit",
            "lots:plot_create",
            "lots:plot_edit",
            "lots:create",
            "lots:edit",
            "lots:photos",
            "lots:custody_add",
            "cupping:requests",
            "cupping:sheet_new",
            "cupping:grading_new",
            "cupping:import",
            "negotiation:negotiation_open",
            "negotiation:sample_request",
            "negotiation:sample_terms",
            "auctions:create",
            "pricing:create",
            "pricing:edit",
            "pricing:import",
            "moderation:submit",
            "negotiation:negotiation_open draft",
            "negotiation:sample_request draft",
        }
    }
)
# Query parameters must not widen what a list shows.
WRITES["lot-list status=draft"] = C(EVERYONE, query="status=draft", secret=DRAFT_CODE)
WRITES["lot-list mine"] = C(EVERYONE, query="mine=1", secret=DRAFT_CODE, sees=OWNER)
WRITES["cupping-sheet-list lot=draft"] = C(
    SIGNED_IN, query="lot={draft}", secret=lambda w: "secret-draft-sheet", sees=OWNER_GRADER_MOD
)
WRITES["green-grading-list lot=draft"] = C(
    SIGNED_IN, query="lot={draft}", secret=lambda w: "secret-draft-grading", sees=OWNER_GRADER_MOD
)
WRITES["lot-score-list lot=draft"] = C(SIGNED_IN, query="lot={draft}", secret=DRAFT_LOT_ID, sees=OWNER_MOD)
WRITES["lots:catalogue status=draft"] = C(EVERYONE, query="status=draft", secret=DRAFT_CODE)

# A form naming another producer's lot: refused by the form (its choices are the caller's own
# lots), and nothing is written.
WRITES["cupping:requests POST foreign"] = write(
    "post",
    OWNER,
    data=lambda w: {"lot": w["draft"].pk, "grader": "", "protocol": "", "note": "x"},
    refusal_codes=frozenset({400}),
)


def _auction_form(w: W) -> dict[str, Any]:
    lot = w["spare"].pk
    return {
        "title": "Matrix auction",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T12:00",
        "closing_mode": "per_lot",
        "extension_minutes": 3,
        "increment_per_kg": "1",
        f"lot_{lot}": "on",
        f"opening_{lot}": "100",
    }


WRITES["auctions:create POST foreign"] = write("post", OWNER_MOD, data=_auction_form, refusal_codes=frozenset({400}))

# Two ids that each exist but do not belong together.
WRITES["lot-photo-detail mixed"] = C(NOBODY, lambda w: {"lot_pk": w["lot"].pk, "pk": w["draft_photo"].pk})
WRITES["negotiation:order_document mixed"] = C(
    NOBODY, lambda w: {"pk": w["unpaid_order"].pk, "doc_id": w["order_document"].pk}
)
WRITES["auctions:item_live mixed"] = C(NOBODY, lambda w: {"pk": w["auction"].pk, "item_pk": 10**9})

for _table, _row in (("baseline", "baseline"), ("cprice", "cprice"), ("rate", "rate"), ("adjustment", "adjustment")):
    WRITES[f"pricing-{_table}-list POST"] = write("post", MOD)
    WRITES[f"pricing-{_table}-detail PATCH"] = write("patch", MOD, pk(_row), data={"source": "matrix"})
    WRITES[f"pricing-{_table}-detail DELETE"] = write("delete", MOD, pk(_row))


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
    """The Case of a matrix key: a URL name (its main method) or "<URL name> <METHOD>"."""
    return WRITES[key] if key in WRITES else MATRIX[key]
