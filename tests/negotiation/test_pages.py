"""Trade pages: forms with per-field errors, htmx thread actions, contract page, moderator claims."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.models import Negotiation, Order, QualityClaim, SampleRequest, ShipmentDocument
from tests.security.hostile_files import clean_pdf

pytestmark = pytest.mark.django_db

PDF = clean_pdf()


def offer_post(**overrides: Any) -> dict[str, str]:
    data = {
        "quantity_kg": "120",
        "price": "28.50",
        "currency": "USD",
        "price_unit": "kg",
        "incoterm": "FOB",
        "incoterm_place": "Buenaventura",
        "shipment_window": "March 2027",
        "condition": "",
        "expires_at": "",
    }
    data.update(overrides)
    return data


def test_roaster_makes_an_offer_through_the_form(roaster_client: Client, lot: Lot) -> None:
    page = roaster_client.get(f"/trade/lots/{lot.pk}/offer/")
    assert page.status_code == 200 and b"Make an offer" in page.content
    r = roaster_client.post(f"/trade/lots/{lot.pk}/offer/", offer_post())
    n = Negotiation.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/trade/negotiations/{n.pk}/"
    assert n.current_offer.quantity_kg == Decimal("120")
    # Default expiry: a week.
    assert n.expires_at > timezone.now() + datetime.timedelta(days=6)


def test_offer_form_shows_a_clear_error_per_field_and_writes_nothing(roaster_client: Client, lot: Lot) -> None:
    r = roaster_client.post(f"/trade/lots/{lot.pk}/offer/", offer_post(quantity_kg="999", price="-1"))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="field-quantity_kg"' in html and "has-error" in html
    assert 'id="field-price"' in html
    r = roaster_client.post(f"/trade/lots/{lot.pk}/offer/", offer_post(quantity_kg="999"))
    assert "At most 300" in r.content.decode()
    assert not Negotiation.objects.exists()


def test_pages_refuse_anonymous_and_wrong_roles(anon_client: Client, producer_client: Client, lot: Lot) -> None:
    r = anon_client.get(f"/trade/lots/{lot.pk}/offer/")
    assert r.status_code == 302 and "/login" in r["Location"]
    assert anon_client.get("/trade/").status_code == 302
    assert producer_client.get(f"/trade/lots/{lot.pk}/offer/").status_code == 403
    assert producer_client.get("/trade/claims/").status_code == 403


def test_outsider_sees_nothing_of_others_trade(
    outsider_client: Client, open_negotiation: Negotiation, producer: Any, roaster: Any, lot: Lot
) -> None:
    sample = services.sample_request(lot=lot, by=roaster, kind="offer", grams=200)
    assert outsider_client.get(f"/trade/negotiations/{open_negotiation.pk}/").status_code == 404
    assert outsider_client.post(f"/trade/negotiations/{open_negotiation.pk}/withdraw/").status_code == 404
    assert outsider_client.get(f"/trade/samples/{sample.pk}/").status_code == 404
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    assert outsider_client.get(f"/trade/orders/{order.pk}/").status_code == 404
    assert outsider_client.post(f"/trade/orders/{order.pk}/cancel/", {"reason": "x"}).status_code == 404
    page = outsider_client.get("/trade/").content.decode()
    assert lot.name not in page


def test_htmx_counter_swaps_the_thread_with_price_per_kg_and_lb(
    producer_client: Client, open_negotiation: Negotiation
) -> None:
    url = f"/trade/negotiations/{open_negotiation.pk}/counter/"
    r = producer_client.post(url, offer_post(price="14.00", price_unit="lb"), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<div id="thread"')  # a partial, not a whole page
    assert "14.0000 USD/lb" in html and "30.8647 USD/kg" in html
    open_negotiation.refresh_from_db()
    assert open_negotiation.turn == "buyer"


def test_htmx_counter_out_of_turn_shows_the_conflict(roaster_client: Client, open_negotiation: Negotiation) -> None:
    r = roaster_client.post(f"/trade/negotiations/{open_negotiation.pk}/counter/", offer_post(), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "other party" in r.content.decode()
    assert open_negotiation.offers.count() == 1


def test_htmx_accept_redirects_to_the_contract(producer_client: Client, open_negotiation: Negotiation) -> None:
    r = producer_client.post(f"/trade/negotiations/{open_negotiation.pk}/accept/", HTTP_HX_REQUEST="true")
    order = Order.objects.get()
    assert r.status_code == 204 and r["HX-Redirect"] == f"/trade/orders/{order.pk}/"


def test_accept_needs_post_and_csrf(open_negotiation: Negotiation, producer: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(producer, backend="accounts.backends.EmailBackend")
    assert client.get(f"/trade/negotiations/{open_negotiation.pk}/accept/").status_code == 405
    assert client.post(f"/trade/negotiations/{open_negotiation.pk}/accept/").status_code == 403
    assert not Order.objects.exists()


def test_contract_page_shows_terms_fee_and_evidence(
    roaster_client: Client,
    producer_client: Client,
    moderator_client: Client,
    open_negotiation: Negotiation,
    producer: Any,
) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    for client in (roaster_client, producer_client, moderator_client):
        html = client.get(f"/trade/orders/{order.pk}/").content.decode()
        assert order.number in html
        assert "2800.00 USD" in html  # total
        assert "140.00 USD" in html  # the marketplace fee, its own line
        assert "2660.00 USD" in html  # producer receives
        assert "Awaiting payment" in html
        assert "Chain of custody" in html and "Gesha" in html
        assert "negotiation/negotiation.css" in html  # print stylesheet


def test_shipment_with_documents_is_stored_privately_with_sha256(
    producer_client: Client,
    roaster_client: Client,
    outsider_client: Client,
    open_negotiation: Negotiation,
    producer: Any,
) -> None:
    import hashlib

    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    services.order_mark_paid(order=order, by=None)
    bad = SimpleUploadedFile("bl.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    r = producer_client.post(
        f"/trade/orders/{order.pk}/ship/", {"courier": "Maersk", "tracking": "BL-1", "documents": bad}
    )
    assert r.status_code == 200 and "PDF, JPEG or PNG" in r.content.decode()
    order.refresh_from_db()
    assert order.status == "paid" and not ShipmentDocument.objects.exists()
    doc = SimpleUploadedFile("bl.pdf", PDF, content_type="application/pdf")
    r = producer_client.post(
        f"/trade/orders/{order.pk}/ship/", {"courier": "Maersk", "tracking": "BL-1", "documents": doc}
    )
    assert r.status_code == 302
    stored = ShipmentDocument.objects.get()
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.file.storage is not None and "shipments/" in stored.file.name
    download = roaster_client.get(f"/trade/orders/{order.pk}/documents/{stored.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"
    assert outsider_client.get(f"/trade/orders/{order.pk}/documents/{stored.pk}/").status_code == 404


def test_roaster_confirms_delivery_and_claims_then_moderator_resolves_with_htmx(
    roaster_client: Client,
    moderator_client: Client,
    outsider_client: Client,
    open_negotiation: Negotiation,
    producer: Any,
) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    services.order_mark_paid(order=order, by=None)
    services.order_ship(order=order, by=producer, courier="Maersk", tracking="BL-2")
    assert roaster_client.post(f"/trade/orders/{order.pk}/delivered/").status_code == 302
    r = roaster_client.post(f"/trade/orders/{order.pk}/claim/", {"description": ""})
    assert r.status_code == 200 and "has-error" in r.content.decode()
    roaster_client.post(f"/trade/orders/{order.pk}/claim/", {"description": "Baggy, faded cup"})
    claim = QualityClaim.objects.get()
    page = moderator_client.get("/trade/claims/").content.decode()
    assert "Baggy, faded cup" in page and f'id="id_c{claim.pk}-outcome"' in page
    assert outsider_client.get("/trade/claims/").status_code == 403
    r = moderator_client.post(
        f"/trade/claims/{claim.pk}/resolve/",
        {f"c{claim.pk}-outcome": "allowance", f"c{claim.pk}-resolution": ""},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "has-error" in r.content.decode()
    r = moderator_client.post(
        f"/trade/claims/{claim.pk}/resolve/",
        {f"c{claim.pk}-outcome": "allowance", f"c{claim.pk}-resolution": "5% allowance per the cupping"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and f'id="claim-{claim.pk}"' in r.content.decode()
    claim.refresh_from_db()
    assert claim.status == "resolved" and claim.resolution == "5% allowance per the cupping"


def test_sample_pages_show_the_feedback_countdown_to_the_producer(
    roaster_client: Client, producer_client: Client, lot: Lot, producer: Any, roaster: Any
) -> None:
    r = roaster_client.post(f"/trade/lots/{lot.pk}/sample/", {"kind": "offer", "grams": "5", "message": ""})
    assert r.status_code == 200 and "has-error" in r.content.decode()
    r = roaster_client.post(f"/trade/lots/{lot.pk}/sample/", {"kind": "offer", "grams": "250", "message": "Hi"})
    sample = SampleRequest.objects.get()
    assert r.status_code == 302
    producer_client.post(f"/trade/samples/{sample.pk}/accept/")
    producer_client.post(f"/trade/samples/{sample.pk}/ship/", {"courier": "DHL", "tracking": "JD9"})
    roaster_client.post(f"/trade/samples/{sample.pk}/arrived/")
    html = producer_client.get(f"/trade/samples/{sample.pk}/").content.decode()
    assert 'id="feedback-countdown"' in html and "Feedback due in" in html
    SampleRequest.objects.filter(pk=sample.pk).update(feedback_due_at=timezone.now() - datetime.timedelta(days=2))
    html = producer_client.get(f"/trade/samples/{sample.pk}/").content.decode()
    assert "Feedback overdue by" in html and "1 overdue" in html
    assert (
        producer_client.post(
            f"/trade/samples/{sample.pk}/feedback/", {"feedback_score": "80", "feedback_notes": "x"}
        ).status_code
        == 403
    )


def test_sample_price_page_for_producers(producer_client: Client, roaster_client: Client, producer: Any) -> None:
    r = producer_client.post("/trade/samples/price/", {"fee": "-3", "currency": "USD"})
    assert r.status_code == 200 and "has-error" in r.content.decode()
    assert producer_client.post("/trade/samples/price/", {"fee": "12.00", "currency": "EUR"}).status_code == 302
    assert producer.sample_terms.fee == Decimal("12.00")
    assert roaster_client.get("/trade/samples/price/").status_code == 403


def test_lot_section_offers_roasters_the_way_in(rf: Any, roaster: Any, producer: Any, lot: Lot) -> None:
    from django.template.loader import render_to_string

    from core.registry import lot_sections_for

    for user, expected in ((roaster, "Make an offer"), (producer, "open negotiation")):
        request = rf.get("/")
        request.user = user
        sections = [s for s in lot_sections_for(request, lot) if s[0] == "negotiation/partials/lot_section.html"]
        assert len(sections) == 1
        html = render_to_string(sections[0][0], {"section": sections[0][1], "user": user, "request": request})
        assert expected in html


def test_trade_hub_and_nav(roaster_client: Client, moderator_client: Client, open_negotiation: Negotiation) -> None:
    html = roaster_client.get("/trade/").content.decode()
    assert 'href="/trade/"' in html and open_negotiation.lot.name in html
    assert 'href="/trade/claims/"' in moderator_client.get("/trade/claims/").content.decode()


def test_lot_page_has_the_trade_section(
    roaster_client: Client, producer_client: Client, anon_client: Client, lot: Lot
) -> None:
    html = roaster_client.get(f"/lots/{lot.pk}/").content.decode()
    assert 'id="trade-section"' in html and f"/trade/lots/{lot.pk}/offer/" in html
    assert f"/trade/lots/{lot.pk}/sample/" in html
    assert "open negotiation" in producer_client.get(f"/lots/{lot.pk}/").content.decode()
    assert "Log in as a roaster" in anon_client.get(f"/lots/{lot.pk}/").content.decode()


def test_waiting_party_polls_the_thread_and_gets_the_partial(
    roaster_client: Client, producer_client: Client, open_negotiation: Negotiation
) -> None:
    url = f"/trade/negotiations/{open_negotiation.pk}/"
    waiting = roaster_client.get(url).content.decode()
    assert f'hx-get="{url}"' in waiting and 'hx-trigger="every 10s"' in waiting
    answering = producer_client.get(url).content.decode()
    assert 'hx-trigger="every 10s"' not in answering  # never swap away a form being filled in
    partial = roaster_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="thread"')


@pytest.mark.parametrize(
    ("language", "heading", "button"),
    [("es", "Negociaciones", "Contraofertar"), ("pt", "Negociações", "contraproposta")],
)
def test_trade_pages_speak_spanish_and_portuguese(
    producer_client: Client, open_negotiation: Negotiation, language: str, heading: str, button: str
) -> None:
    assert heading in producer_client.get("/trade/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    page = producer_client.get(f"/trade/negotiations/{open_negotiation.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert button in page.content.decode()


def test_buyer_can_start_paying_from_the_contract(
    roaster_client: Client, producer_client: Client, open_negotiation: Negotiation, producer: Any
) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    assert 'id="pay-order"' in roaster_client.get(f"/trade/orders/{order.pk}/").content.decode()
    assert 'id="pay-order"' not in producer_client.get(f"/trade/orders/{order.pk}/").content.decode()
    # The payments app takes it from there (its checkout page).
    r = roaster_client.post("/payments/open/", {"subject_kind": "order", "subject_id": order.pk})
    assert r.status_code == 302 and r["Location"].endswith("/pay/")


def test_lot_section_says_when_nothing_is_left(rf: Any, roaster: Any, lot: Lot) -> None:
    from django.template.loader import render_to_string

    from marketplace.negotiation.views import lot_section_context

    Lot.objects.filter(pk=lot.pk).update(status="sold_out", reserved_kg=lot.weight_kg)
    lot.refresh_from_db()
    request = rf.get("/")
    request.user = roaster
    ctx = lot_section_context(request, lot)
    assert ctx is not None and not ctx["can_trade"]
    html = render_to_string(
        "negotiation/partials/lot_section.html", {"section": ctx, "user": roaster, "request": request}
    )
    assert "Nothing of this lot is available" in html and "make-offer" not in html
