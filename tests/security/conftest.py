"""One "world" of real rows for the permission matrix, built once per test module.

Everything is created through the factories and the apps' own services, so every URL kwarg of
the URL configuration resolves to something that exists. The world lives inside an outer
transaction opened with the django_db_blocker and rolled back at the end of the module; each test
runs in its own savepoint inside it (pytest-django's ``db``), so a POST that changes state never
leaks into the next case.
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
    w["notification"] = notify(
        recipient=producer, kind="test", message="secret-notification", dedupe_key="perm-matrix-1"
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
    return w


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
