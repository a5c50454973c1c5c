"""One "world" of real rows for the permission matrix, built once per test module.

Everything is created through the factories and the apps' own services, so every URL kwarg of
the URL configuration resolves to something that exists. The world lives inside an outer
transaction opened with the django_db_blocker and rolled back at the end of the module; each test
runs in its own savepoint inside it (pytest-django's ``db``), so a POST that changes state never
leaks into the next case.

``world["at"][kind][state]`` (``build_states``) holds one object per lifecycle state, owned by the
owner actors (the producer sells, the roaster buys, the grader cups): the targets of the write
matrix in tests/security/actions/.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from tests import factories


def png_bytes(size: tuple[int, int] = (24, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "PNG")
    return out.getvalue()


def _sca_values() -> dict[str, Any]:
    from cupping import scoring

    values: dict[str, Any] = dict.fromkeys(scoring.SCA_QUALITY, Decimal("7.75"))
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    return values


def build_world() -> dict[str, Any]:
    from accounts.models import QGraderProfile
    from accounts.services_tokens import api_token_create
    from core.models import ExchangeRate
    from core.services import job_create, notify
    from cupping import services as cupping
    from lots import services as lots
    from marketplace.auctions import clock
    from marketplace.auctions import services as auctions
    from marketplace.moderation import services as moderation
    from marketplace.negotiation import services as trade
    from marketplace.payments import services as payments
    from marketplace.pricing.models import CPrice, IncotermAdjustment, LotPremium, SpecialtyBaseline

    w: dict[str, Any] = {}
    w["producer"] = factories.ProducerFactory(email="producer@example.test", display_name="Paula Producer")
    w["second_producer"] = factories.ProducerFactory(email="producer2@example.test", display_name="Pedro Second")
    w["roaster"] = factories.RoasterFactory(email="roaster@example.test", display_name="Rita Roaster")
    w["q_grader"] = factories.QGraderFactory(email="grader@example.test", display_name="Quinn Grader")
    w["moderator"] = factories.ModeratorFactory(email="moderator@example.test", display_name="Mona Moderator")
    w["outsider"] = factories.RoasterFactory(email="outsider@example.test", display_name="Otto Outsider")
    producer, roaster, grader = w["producer"], w["roaster"], w["q_grader"]
    # A second, unverified grader whose licence the moderator has yet to check.
    w["unverified_grader"] = factories.QGraderFactory(
        email="grader-new@example.test", profile__licence_verified_at=None
    )
    w["licence"] = QGraderProfile.objects.get(user=w["unverified_grader"])
    # The producer's API token (its device name is private to the producer).
    w["api_token"] = api_token_create(user=producer, name="matrix-device")[0]

    w["farm"] = factories.FarmFactory(producer=producer, name="La Esperanza")
    w["plot"] = factories.PlotFactory(farm=w["farm"], name="El Mirador")
    w["lot"] = factories.LotFactory(producer=producer, farm=w["farm"], plots=[w["plot"]], code="PM-1")
    w["draft"] = factories.LotFactory(
        producer=producer, farm=w["farm"], plots=[w["plot"]], code="PM-DRAFT", status="draft", listed_at=None
    )
    # Listed and untouched by the world's trade, so it can still be put up for auction.
    w["spare"] = factories.LotFactory(
        producer=producer, farm=w["farm"], plots=[w["plot"]], code="PM-SPARE", weight_kg=Decimal("40")
    )
    w["nano"] = factories.LotFactory(
        producer=producer, farm=w["farm"], plots=[w["plot"]], code="PM-NANO", weight_kg=Decimal("30")
    )

    (w["photo"],) = lots.photos_add(
        lot=w["lot"], by=producer, uploads=[lots.PhotoUpload(data=png_bytes(), kind="plot", name="plot.png")]
    )
    w["custody_event"] = lots.custody_event_add(
        lot=w["lot"],
        by=producer,
        stage="harvest",
        occurred_on=datetime.date(2025, 10, 5),
        state_in="cherry",
        state_out="cherry",
        weight_in_kg=Decimal("1800"),
        weight_out_kg=Decimal("1750"),
        separated=True,
        place="Finca",
        documents=[lots.DocumentUpload(name="weigh-ticket.png", data=png_bytes())],
    )
    w["custody_document"] = w["custody_event"].documents.get()
    # The draft carries evidence of its own, so reads of private evidence are tested too.
    (w["draft_photo"],) = lots.photos_add(
        lot=w["draft"], by=producer, uploads=[lots.PhotoUpload(data=png_bytes(), kind="plot", name="draft.png")]
    )
    w["draft_custody_event"] = lots.custody_event_add(
        lot=w["draft"],
        by=producer,
        stage="harvest",
        occurred_on=datetime.date(2025, 10, 6),
        state_in="cherry",
        state_out="cherry",
        weight_in_kg=Decimal("900"),
        weight_out_kg=Decimal("880"),
        separated=True,
        place="Finca",
        documents=[lots.DocumentUpload(name="draft-ticket.png", data=png_bytes())],
    )
    w["draft_custody_document"] = w["draft_custody_event"].documents.get()

    w["sheet"] = cupping.sheet_submit(
        grader=grader,
        lot=w["lot"],
        protocol="sca2004",
        cupped_on=timezone.localdate() - datetime.timedelta(days=1),
        independent=True,
        values=_sca_values(),
    )
    w["sheet"] = cupping.sheet_attach_original(sheet_id=w["sheet"].pk, by=grader, data=png_bytes(), filename="s.png")
    w["grading"] = cupping.grading_submit(
        grader=grader,
        lot=w["lot"],
        graded_on=timezone.localdate() - datetime.timedelta(days=1),
        data={"sample_grams": 350, "moisture_pct": "10.8", "water_activity": "0.55", "quakers": 0},
    )
    # The draft is cupped and graded on request: private evidence of a private lot.
    cupping.request_create(lot=w["draft"], by=producer, grader=grader, protocol="sca2004")
    # Graded first: the submitted sheet completes the request and closes the draft to graders.
    w["draft_grading"] = cupping.grading_submit(
        grader=grader,
        lot=w["draft"],
        graded_on=timezone.localdate() - datetime.timedelta(days=1),
        data={"sample_grams": 350, "moisture_pct": "10.8", "water_activity": "0.55", "quakers": 0},
        notes="secret-draft-grading",
    )
    w["draft_sheet"] = cupping.sheet_submit(
        grader=grader,
        lot=w["draft"],
        protocol="sca2004",
        cupped_on=timezone.localdate() - datetime.timedelta(days=1),
        independent=True,
        values=_sca_values(),
        notes="secret-draft-sheet",
    )
    # Asked after the sheet, so it is still open: a submitted sheet may complete a request.
    w["cupping_request"] = cupping.request_create(
        lot=w["lot"], by=producer, grader=grader, protocol="sca2004", note="secret-request-note"
    )
    w["job"] = job_create(kind="cupping_import", owner=grader, total=1)

    expires = timezone.now() + datetime.timedelta(days=3)
    w["negotiation"] = trade.negotiation_open(
        lot=w["lot"],
        by=roaster,
        quantity_kg=Decimal("50"),
        price=Decimal("28.00"),
        currency="USD",
        price_unit="kg",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        shipment_window="March 2027",
        condition="secret-negotiation-condition",
        expires_at=expires,
    )
    trade.sample_terms_set(producer=producer, fee=Decimal("25.00"), currency="USD")
    w["sample"] = trade.sample_request(
        lot=w["lot"], by=roaster, kind="pre_shipment", grams=300, message="secret-sample-message"
    )

    def order(qty: str, source_id: int) -> Any:
        return trade.order_create(
            lot=w["lot"],
            buyer=roaster,
            seller=producer,
            quantity_kg=Decimal(qty),
            price_per_kg=Decimal("30.00"),
            currency="USD",
            incoterm="FOB",
            incoterm_place="Buenaventura",
            source="negotiation",
            source_id=source_id,
            by=producer,
        )

    # One order waits for its (open) payment; the other went all the way to a quality claim.
    w["unpaid_order"] = order("50", 9001)
    w["payment"] = payments.payment_open(by=roaster, subject_kind="order", subject_id=w["unpaid_order"].pk)
    w["order"] = order("100", 9002)
    trade.order_mark_paid(order=w["order"], by=None, reference="test")
    trade.order_ship(
        order=w["order"],
        by=producer,
        courier="DHL",
        tracking="BL-1",
        documents=[SimpleUploadedFile("bl.png", png_bytes(), content_type="image/png")],
    )
    w["order"].refresh_from_db()
    w["order_document"] = w["order"].documents.get()
    trade.order_confirm_delivery(order=w["order"], by=roaster)
    w["order"].refresh_from_db()
    w["quality_claim"] = trade.claim_open(order=w["order"], by=roaster, description="Musty cups in two bags.")

    now = clock.now()
    w["auction"] = auctions.auction_create(
        by=producer,
        title="Nano-lot auction",
        lots=[auctions.LotOffer(lot=w["nano"], opening_price_per_kg="100")],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=2),
        increment_per_kg="1",
    )
    w["auction_item"] = w["auction"].items.get()

    w["claim"] = moderation.claim_submit(
        lot=w["lot"],
        by=producer,
        kind="micro",
        isolation="geographic",
        statement="Picked from the top terrace on two days and processed apart at every stage.",
    )
    from lots.services import DocumentUpload
    from marketplace.competitions.services import result_create
    from tests.security.hostile_files import clean_pdf

    w["competition_result"] = result_create(
        lot=w["draft"],
        by=producer,
        competition="coe",
        name="Cup of Excellence Colombia",
        year=2025,
        rank=2,
        jury_score="90.10",
        jury_protocol="coe",
        document=DocumentUpload(name="jury.pdf", data=clean_pdf()),
    )

    w["baseline"] = SpecialtyBaseline.objects.create(
        edition="perm",
        harvest_year=2025,
        origin="",
        score_band="all",
        size_band="all",
        median=Decimal("4.00"),
        source="test",
    )
    # Own rows, not the data migration's: transactional tests elsewhere in a run flush those.
    w["cprice"] = CPrice.objects.create(
        observed_on=datetime.date(2001, 1, 2), label="2 Jan 2001", usd_per_lb=Decimal("3.8000"), source="test"
    )
    w["rate"] = ExchangeRate.objects.create(
        currency="EUR", usd_per_unit=Decimal("1.1000000000"), valid_on=datetime.date(2001, 1, 2), source="test"
    )
    w["adjustment"] = IncotermAdjustment.objects.create(
        origin="XK", incoterm="FCA", usd_per_lb=Decimal("0.1500"), note="test"
    )
    # The pricing receivers run on commit, which never comes here: write the draft's premium row.
    w["draft_premium"] = LotPremium.objects.update_or_create(
        lot=w["draft"],
        defaults={"status": "ok", "premium_ratio": Decimal("4.000"), "computed_at": now, "changed_at": now},
    )[0]
    w["at"] = build_states(w)
    w["at"]["user"] = {"producer": w["producer"]}
    w["at"]["competition_result"] = {"pending": w["competition_result"]}
    # Last, so it is the newest: the notifications page shows the latest first.
    w["notification"] = notify(
        recipient=producer, kind="test", message="secret-notification", dedupe_key="perm-matrix-1"
    )
    w["at"]["notification"] = {"unread": w["notification"]}
    return w


def build_states(w: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One object per lifecycle state, owned by the world's owner actors (producer, roaster).

    ``at[kind][state]`` is what the write matrix aims its actions at: lots (draft, submitted =
    listed with a pending micro-lot claim, listed, reserved, sold out, on auction, withdrawn), their
    photos, negotiations, samples, orders, auctions, micro-lot and quality claims, cupping
    requests, payments and the rest. Each trade object has a lot of its own, so no state leaks into
    another; everything is built through the apps' services except where a state can only be
    reached with the passing of time (a closed auction) or with a decision this matrix does not
    exercise (an approved claim).
    """
    from django.test import override_settings

    from cupping import services as cupping
    from lots import services as lots
    from marketplace.auctions import clock
    from marketplace.auctions import services as auctions
    from marketplace.auctions.models import Auction, AuctionLot
    from marketplace.moderation import services as moderation
    from marketplace.moderation.models import MicroLotClaim
    from marketplace.negotiation import services as trade
    from marketplace.payments import services as payments
    from marketplace.payments.models import PaymentAttempt

    producer, roaster, grader, moderator = w["producer"], w["roaster"], w["q_grader"], w["moderator"]
    at: dict[str, dict[str, Any]] = {}
    source_ids = iter(range(9100, 9999))
    statement = "Picked on two days from the top terrace and fermented, dried and milled apart from the rest."

    def lot(code: str, **kw: Any) -> Any:
        return factories.LotFactory(producer=producer, farm=w["farm"], plots=[w["plot"]], code=code, **kw)

    def order(on: Any, qty: str) -> Any:
        return trade.order_create(
            lot=on,
            buyer=roaster,
            seller=producer,
            quantity_kg=Decimal(qty),
            price_per_kg=Decimal("30.00"),
            currency="USD",
            incoterm="FOB",
            incoterm_place="Buenaventura",
            source="negotiation",
            source_id=next(source_ids),
            by=producer,
        )

    def auction(on: Any, starts: datetime.timedelta, ends: datetime.timedelta) -> Any:
        now = clock.now()
        return auctions.auction_create(
            by=producer,
            title=f"Auction of {on.code}",
            lots=[auctions.LotOffer(lot=on, opening_price_per_kg="100")],
            starts_at=now + starts,
            ends_at=now + ends,
            increment_per_kg="1",
        )

    # --- lots, one per status (and a photo on each) -----------------------------------------
    lot_at = at["lot"] = {
        "draft": lot("ST-DRAFT", status="draft", listed_at=None),
        "submitted": lot("ST-SUBMITTED"),
        "listed": lot("ST-LISTED"),
        "reserved": lot("ST-RESERVED"),
        "sold_out": lot("ST-SOLD-OUT"),
        "on_auction": lot("ST-ON-AUCTION", weight_kg=Decimal("40")),
        "withdrawn": lot("ST-WITHDRAWN", status="withdrawn"),
    }
    # Moved there by their producer (what an order does to a lot's status is another branch's rule).
    lots.lot_transition(lot=lot_at["reserved"], to="reserved", by=producer)
    lots.lot_transition(lot=lot_at["sold_out"], to="sold_out", by=producer)
    claim_submitted = moderation.claim_submit(
        lot=lot_at["submitted"], by=producer, kind="micro", isolation="geographic", statement=statement
    )
    auction_bids = auction(lot_at["on_auction"], -datetime.timedelta(minutes=1), datetime.timedelta(hours=2))
    auctions.bid_place(item=auction_bids.items.get(), bidder=w["outsider"], amount_per_kg="100")
    # A private draft with a request open to any verified grader: they may cup it, nobody else.
    cupping.request_create(lot=lot_at["draft"], by=producer, protocol="sca2004")
    at["photo"] = {}
    for state, item in lot_at.items():
        item.refresh_from_db()
        (at["photo"][state],) = lots.photos_add(
            lot=item, by=producer, uploads=[lots.PhotoUpload(data=png_bytes(), kind="plot", name=f"{state}.png")]
        )
    at["farm"] = {"own": w["farm"]}
    at["plot"] = {"own": w["plot"]}
    # The second producer's own listed lot, for attacks that name the producer's farm or plot in the body.
    rival_farm = factories.FarmFactory(producer=w["second_producer"], name="La Rival")
    at["rival_lot"] = {
        "listed": factories.LotFactory(
            producer=w["second_producer"], farm=rival_farm, plots=[factories.PlotFactory(farm=rival_farm)], code="RV-1"
        )
    }

    # --- negotiations: the roaster offers, the producer answers -----------------------------
    def negotiate(on: Any) -> Any:
        return trade.negotiation_open(
            lot=on,
            by=roaster,
            quantity_kg=Decimal("20"),
            price=Decimal("28.00"),
            currency="USD",
            price_unit="kg",
            incoterm="FOB",
            incoterm_place="Buenaventura",
            shipment_window="March 2027",
            expires_at=timezone.now() + datetime.timedelta(days=3),
        )

    first, second = lot("ST-TRADE-1", weight_kg=Decimal("1000")), lot("ST-TRADE-2", weight_kg=Decimal("1000"))
    accepted = negotiate(first)
    trade.negotiation_accept(negotiation=accepted, by=producer)
    countered = negotiate(second)
    trade.negotiation_counter(
        negotiation=countered,
        by=producer,
        quantity_kg=Decimal("20"),
        price=Decimal("31.00"),
        currency="USD",
        price_unit="kg",
        incoterm="FOB",
    )
    at["negotiation"] = {"open": negotiate(first), "countered": countered, "accepted": accepted}

    # --- samples of the first trade lot -----------------------------------------------------
    def sample(*moves: str) -> Any:
        item = trade.sample_request(lot=first, by=roaster, kind="pre_shipment", grams=300)
        for move in moves:
            if move == "accept":
                item = trade.sample_accept(sample=item, by=producer)
            elif move == "ship":
                item = trade.sample_ship(sample=item, by=producer, courier="DHL", tracking="S-1")
            elif move == "arrive":
                item = trade.sample_confirm_arrival(sample=item, by=roaster)
        return item

    at["sample"] = {
        "requested": sample(),
        "accepted": sample("accept"),
        "shipped": sample("accept", "ship"),
        "arrived": sample("accept", "ship", "arrive"),
    }

    # --- orders (contracts) and their payments, on a lot of their own -----------------------
    contracts = lot("ST-CONTRACTS", weight_kg=Decimal("1000"))

    def paid(item: Any) -> Any:
        return trade.order_mark_paid(order=item, by=None, reference="matrix")

    def shipped(item: Any) -> Any:
        return trade.order_ship(order=paid(item), by=producer, courier="DHL", tracking="BL-ST")

    def delivered(item: Any) -> Any:
        return trade.order_confirm_delivery(order=shipped(item), by=roaster)

    awaiting = order(contracts, "10")
    paying_offline = order(contracts, "10")
    offline = payments.payment_open(by=roaster, subject_kind="order", subject_id=paying_offline.pk)
    paid_by_transfer = order(contracts, "10")
    settled = payments.payment_open(by=roaster, subject_kind="order", subject_id=paid_by_transfer.pk)
    payments.payment_mark_received(payment=settled, by=moderator, reference="MATRIX-1")
    with override_settings(STRIPE_SECRET_KEY="sk_test_matrix"):
        card_new = payments.payment_open(by=roaster, subject_kind="order", subject_id=order(contracts, "10").pk)
        card_live = payments.payment_open(by=roaster, subject_kind="order", subject_id=order(contracts, "10").pk)
    # A charge in flight at the card processor (the buyer is completing 3-D Secure).
    PaymentAttempt.objects.create(
        payment=card_live,
        number=1,
        idempotency_key=f"matrix-{card_live.pk}-1",
        intent_id=f"pi_matrix_live_{card_live.pk}",
        status=PaymentAttempt.Status.REQUIRES_ACTION,
    )
    type(card_live).objects.filter(pk=card_live.pk).update(
        attempts=1, status="pending", intent_id=f"pi_matrix_live_{card_live.pk}"
    )
    claimed, decided = delivered(order(contracts, "10")), delivered(order(contracts, "10"))
    quality_open = trade.claim_open(order=claimed, by=roaster, description="Matrix: musty cups.")
    quality_resolved = trade.claim_open(order=decided, by=roaster, description="Matrix: faded cups.")
    quality_resolved = trade.claim_resolve(
        claim=quality_resolved, by=moderator, outcome="rejected", reason="Matrix: within contract."
    )
    at["order"] = {
        "awaiting_payment": awaiting,
        "paid": fresh(paid_by_transfer),
        "shipped": shipped(order(contracts, "10")),
        "delivered": delivered(order(contracts, "10")),
        "claimed": fresh(claimed),
    }
    at["payable"] = {"order": awaiting, "sample": at["sample"]["accepted"]}
    at["payment"] = {
        "offline_pending": offline,
        "paid": fresh(settled),
        "card_new": card_new,
        "card_live": fresh(card_live),
    }
    at["quality_claim"] = {"open": quality_open, "resolved": quality_resolved}

    # --- auctions -----------------------------------------------------------------------------
    hours = datetime.timedelta(hours=1)
    closed = auction(lot("ST-AUCTION-CLOSED", weight_kg=Decimal("40")), -datetime.timedelta(minutes=1), 2 * hours)
    past = clock.now() - datetime.timedelta(seconds=1)
    Auction.objects.filter(pk=closed.pk).update(ends_at=past)
    AuctionLot.objects.filter(auction=closed).update(ends_at=past)
    auctions.auctions_close_due(now=clock.now())
    at["auction"] = {
        "scheduled": auction(lot("ST-AUCTION-LATER", weight_kg=Decimal("40")), 24 * hours, 48 * hours),
        "open": auction(lot("ST-AUCTION-OPEN", weight_kg=Decimal("40")), -datetime.timedelta(minutes=1), 2 * hours),
        "open_with_bids": auction_bids,
        "closed": fresh(closed),
    }

    # --- micro-lot claims -------------------------------------------------------------------
    def claim(code: str) -> Any:
        return moderation.claim_submit(
            lot=lot(code), by=producer, kind="micro", isolation="geographic", statement=statement
        )

    evidence = claim("ST-CLAIM-EVIDENCE")
    moderation.claim_decide(
        claim=evidence, by=moderator, decision="request_evidence", reason="Matrix: add the drying records."
    )
    approved = claim("ST-CLAIM-APPROVED")
    MicroLotClaim.objects.filter(pk=approved.pk).update(status="approved", decided_at=timezone.now())
    type(approved.lot).objects.filter(pk=approved.lot_id).update(verified_badge="micro")
    rejected = claim("ST-CLAIM-REJECTED")
    moderation.claim_decide(claim=rejected, by=moderator, decision="reject", reason="Matrix: blended at the mill.")
    at["claim"] = {
        "submitted": claim_submitted,
        "evidence_requested": fresh(evidence),
        "approved": fresh(approved),
        "rejected": fresh(rejected),
    }

    # --- cupping ------------------------------------------------------------------------------
    open_any = cupping.request_create(lot=lot_at["listed"], by=producer, note="matrix: open to any grader")
    open_to_grader = cupping.request_create(lot=lot_at["listed"], by=producer, grader=grader, note="matrix: for Quinn")
    taken = cupping.request_create(lot=lot_at["reserved"], by=producer, note="matrix: taken")
    at["cupping_request"] = {
        "open": open_any,
        "open_to_grader": open_to_grader,
        "accepted": cupping.request_accept(request_id=taken.pk, by=grader),
    }
    at["sheet"] = {"active": w["sheet"]}
    at["grading"] = {"active": w["grading"]}

    # A CSV import of the grader's, checked and waiting for them to confirm its preview.
    from core.models import Job
    from cupping import imports

    previewed = imports.cupping_import_start(by=grader, data=_import_csv(lot_at["listed"]))
    imports.cupping_import_run(job_id=previewed.pk)
    at["import_job"] = {"previewed": fresh(previewed)}
    assert at["import_job"]["previewed"].status == Job.Status.PREVIEWED, at["import_job"]["previewed"].result

    # --- accounts -----------------------------------------------------------------------------
    # A sign-up waiting for its e-mailed link; the producer's API token.
    at["pending_user"] = {
        "pending": factories.UserFactory(
            email="pending-matrix@example.test", role="roaster", is_active=False, pending_activation=True
        )
    }
    at["api_token"] = {"live": w["api_token"]}

    # --- lots whose typed variety awaits the producer's answer to "Did you mean …?" ------------
    from lots.models import VarietyStatus

    suggested = factories.VarietyFactory(name="Pink Bourbon")
    at["variety_lot"] = {}
    for state, status in (("draft", "draft"), ("listed", "listed")):
        item = lot(
            f"ST-VARIETY-{state.upper()}", status=status, listed_at=None if status == "draft" else timezone.now()
        )
        type(item).objects.filter(pk=item.pk).update(
            variety=None,
            variety_as_declared="Pink Burbon",
            variety_status=VarietyStatus.SUGGESTED,
            variety_suggestion=suggested,
        )
        at["variety_lot"][state] = fresh(item)

    # --- the rest ---------------------------------------------------------------------------
    at["licence"] = {"unverified": w["licence"]}
    for table in ("baseline", "cprice", "rate", "adjustment"):
        at[table] = {"row": w[table]}
    # What the worker does after each submission and decision, once the world is complete (a
    # hallmark such as the volume reads the producer's other lots): what a moderator's page shows.
    for pending in (claim_submitted, evidence, rejected):
        moderation.claim_recompute(claim_id=pending.pk)
    _check_states(at)
    return at


def _import_csv(lot: Any) -> str:
    from tests.security.actions.base import import_csv

    return import_csv(lot)


def fresh(obj: Any) -> Any:
    """The row as the database has it now (services return the object they were given)."""
    return type(obj)._default_manager.get(pk=obj.pk)


# What each state means, checked once the world is built: if a service's rules change so that a
# state is no longer reached this way, the world says so instead of the matrix testing the wrong thing.
EXPECTED_STATES: dict[str, dict[str, str]] = {
    "lot": {s: s for s in ("draft", "listed", "reserved", "sold_out", "withdrawn")} | {"submitted": "listed"},
    "negotiation": {"open": "open", "countered": "countered", "accepted": "accepted"},
    "sample": {s: s for s in ("requested", "accepted", "shipped", "arrived")},
    "order": {
        "awaiting_payment": "awaiting_payment",
        "paid": "paid",
        "shipped": "shipped",
        "delivered": "delivered",
        "claimed": "delivered",
    },
    "auction": {"scheduled": "open", "open": "open", "open_with_bids": "open", "closed": "closed"},
    "claim": {
        "submitted": "pending",
        "evidence_requested": "evidence_requested",
        "approved": "approved",
        "rejected": "rejected",
    },
    "quality_claim": {"open": "open", "resolved": "resolved"},
    "cupping_request": {"open": "open", "open_to_grader": "open", "accepted": "accepted"},
    "payment": {"offline_pending": "pending", "paid": "paid", "card_new": "unpaid", "card_live": "pending"},
}


def _check_states(at: dict[str, dict[str, Any]]) -> None:
    wrong = []
    for kind, states in EXPECTED_STATES.items():
        for state, status in states.items():
            actual = fresh(at[kind][state]).status
            if actual != status:
                wrong.append(f"{kind}@{state} is {actual!r}, not {status!r}")
    from marketplace.auctions.models import AuctionLot

    if not AuctionLot.objects.filter(lot=at["lot"]["on_auction"], status="open").exists():
        wrong.append("lot@on_auction is on no open auction")
    assert not wrong, "the world's states are not what their names say: " + "; ".join(wrong)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
