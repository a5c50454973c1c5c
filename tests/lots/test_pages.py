"""Browser pages through Django's test client: producers' forms, the lot page and who may see what."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from lots import services
from lots.models import Farm, Lot, LotPhoto, Plot
from tests.lots.conftest import jpeg_bytes
from tests.security.hostile_files import clean_pdf

pytestmark = pytest.mark.django_db

PDF = clean_pdf()


def lot_post(**overrides):
    data = {
        "name": "Page lot",
        "code": "PG-1",
        "variety": "geisha",
        "process": "washed",
        "additives": "none",
        "harvest_year": "2025",
        "weight_kg": "300",
        "price": "28.5",
        "currency": "USD",
        "price_unit": "kg",
        "incoterm": "FOB",
    }
    data.update(overrides)
    return data


def test_producer_registers_farm_and_point_plot_through_the_pages(producer_client, producer):
    response = producer_client.post(reverse("lots:farm_create"), {"name": "Alto", "country": "co", "region": "Cauca"})
    assert response.status_code == 302
    farm = Farm.objects.get(producer=producer)
    response = producer_client.post(
        reverse("lots:plot_create", args=[farm.pk]),
        {
            "name": "Loma",
            "area_ha": "2",
            "latitude": "2.450000",
            "longitude": "-76.600000",
            "varieties": "Gesha, Caturra",
        },
    )
    assert response.status_code == 302
    plot = Plot.objects.get(farm=farm)
    assert plot.geometry == {"type": "Point", "coordinates": [Decimal("-76.600000"), Decimal("2.450000")]}
    assert str(plot.geometry["coordinates"][1]) == "2.450000"  # the six places are kept


def test_plot_form_explains_why_a_big_plot_needs_a_polygon(producer_client, farm):
    response = producer_client.post(
        reverse("lots:plot_create", args=[farm.pk]),
        {"name": "Big", "area_ha": "12", "latitude": "2.450000", "longitude": "-76.600000"},
    )
    assert response.status_code == 400
    assert "needs a polygon" in response.content.decode()
    assert not Plot.objects.filter(name="Big").exists()


def test_lot_form_requires_the_additives_disclosure(producer_client):
    data = lot_post()
    del data["additives"]
    response = producer_client.post(reverse("lots:create"), data)
    assert response.status_code == 400
    assert not Lot.objects.exists()


def test_create_and_edit_a_lot_then_a_stale_edit_shows_the_conflict(producer_client, producer, farm, plot):
    response = producer_client.post(reverse("lots:create"), lot_post(farm=farm.pk, plots=[plot.pk]))
    assert response.status_code == 302
    lot = Lot.objects.get(producer=producer)
    assert lot.variety.name == "Gesha"
    ok = producer_client.post(reverse("lots:edit", args=[lot.pk]), lot_post(name="Renamed", version=lot.version))
    assert ok.status_code == 302
    stale = producer_client.post(reverse("lots:edit", args=[lot.pk]), lot_post(name="Stale", version=lot.version))
    assert stale.status_code == 409
    assert "Someone else changed this lot" in stale.content.decode()
    lot.refresh_from_db()
    assert lot.name == "Renamed"


def test_list_then_withdraw_from_the_lot_page(producer_client, draft):
    producer_client.post(reverse("lots:transition", args=[draft.pk]), {"to": "listed"})
    draft.refresh_from_db()
    assert draft.status == "listed"
    producer_client.post(reverse("lots:transition", args=[draft.pk]), {"to": "withdrawn"})
    draft.refresh_from_db()
    assert draft.status == "withdrawn"


def test_photo_upload_page_shows_a_clear_error_for_a_bad_file(producer_client, draft, no_broker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("evil.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/jpeg")
    response = producer_client.post(reverse("lots:photos", args=[draft.pk]), {"photos": [bad], "kind": "plot"})
    assert response.status_code == 400
    assert "Only JPEG, PNG and WebP" in response.content.decode()
    assert not LotPhoto.objects.exists()
    good = [SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes(), content_type="image/jpeg") for i in range(2)]
    response = producer_client.post(reverse("lots:photos", args=[draft.pk]), {"photos": good, "kind": "cherries"})
    assert response.status_code == 302
    assert LotPhoto.objects.filter(lot=draft, kind="cherries").count() == 2


def test_custody_form_records_an_event_with_a_document(producer_client, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = producer_client.post(
        reverse("lots:custody_add", args=[draft.pk]),
        {
            "stage": "harvest",
            "occurred_on": "2025-10-05",
            "state_in": "cherry",
            "state_out": "cherry",
            "weight_in_kg": "1800",
            "weight_out_kg": "1800",
            "separated": "on",
            "documents": [SimpleUploadedFile("ticket.pdf", PDF, content_type="application/pdf")],
        },
    )
    assert response.status_code == 302
    event = draft.custody_events.get()
    assert event.separated and event.documents.count() == 1


@pytest.fixture
def evidence_lot(draft, producer, no_broker):
    services.photos_add(lot=draft, by=producer, uploads=[services.PhotoUpload(data=jpeg_bytes(), kind="plot")])
    services.custody_event_add(
        lot=draft,
        by=producer,
        stage="harvest",
        occurred_on=datetime.date(2025, 10, 5),
        state_in="cherry",
        state_out="cherry",
        weight_in_kg=Decimal(1800),
        weight_out_kg=Decimal(1800),
        separated=True,
        documents=[services.DocumentUpload(name="ticket.pdf", data=PDF)],
    )
    return draft


def test_lot_page_shows_gallery_timeline_integrity_and_plot(client, producer_client, evidence_lot, producer):
    services.lot_transition(lot=evidence_lot, to="listed", by=producer)
    page = client.get(reverse("lots:detail", args=[evidence_lot.pk])).content.decode()
    assert 'id="gallery"' in page
    assert "Integrity verified" in page
    assert "El Mirador" in page
    assert "ticket.pdf" in page
    # Private evidence stays private: no document link and no EXIF block for the public.
    assert "document-link" not in page and "private-exif" not in page
    own = producer_client.get(reverse("lots:detail", args=[evidence_lot.pk])).content.decode()
    assert "document-link" in own and "private-exif" in own


def test_lot_page_shows_a_broken_chain(client, evidence_lot, producer):
    from lots.models import CustodyEvent

    services.lot_transition(lot=evidence_lot, to="listed", by=producer)
    CustodyEvent.objects.update(weight_out_kg=Decimal("100"))
    page = client.get(reverse("lots:detail", args=[evidence_lot.pk])).content.decode()
    assert "Integrity broken at event #1" in page


def test_lot_page_renders_sections_other_apps_register(client, draft, producer):
    from core.registry import LotSection, registry

    section = LotSection(template="lots/tests/section.html", context=lambda request, lot: {"word": "cupped-91"})
    from django.template import engines

    engine = engines["django"].engine
    from django.template.loaders.locmem import Loader

    services.lot_transition(lot=draft, to="listed", by=producer)
    registry.lot_sections.append(section)
    try:
        original = engine.template_loaders
        engine.__dict__["template_loaders"] = [
            Loader(engine, {"lots/tests/section.html": "<p>{{ section.word }}</p>"}),
            *original,
        ]
        page = client.get(reverse("lots:detail", args=[draft.pk])).content.decode()
    finally:
        registry.lot_sections.remove(section)
        engine.__dict__["template_loaders"] = original
    assert "<p>cupped-91</p>" in page


# --- who may see what ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anon_client", "second_producer_client", "outsider_client", "roaster_client"])
def test_drafts_their_photos_passport_and_documents_are_hidden_from_others(request, who, evidence_lot):
    client = request.getfixturevalue(who)
    photo = evidence_lot.photos.get()
    doc = evidence_lot.custody_events.get().documents.get()
    for url in (
        reverse("lots:detail", args=[evidence_lot.pk]),
        reverse("lots:passport", args=[evidence_lot.pk]),
        reverse("lots:photo", args=[photo.pk, "thumb"]),
        reverse("lots:custody_document", args=[doc.pk]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("who", ["anon_client", "second_producer_client", "outsider_client"])
def test_documents_of_a_listed_lot_stay_private(request, who, evidence_lot, producer):
    services.lot_transition(lot=evidence_lot, to="listed", by=producer)
    doc = evidence_lot.custody_events.get().documents.get()
    assert request.getfixturevalue(who).get(reverse("lots:custody_document", args=[doc.pk])).status_code == 404


def test_producer_and_moderator_download_documents(producer_client, moderator_client, evidence_lot):
    doc = evidence_lot.custody_events.get().documents.get()
    for client in (producer_client, moderator_client):
        response = client.get(reverse("lots:custody_document", args=[doc.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/octet-stream"
        assert "attachment" in response["Content-Disposition"]


def test_moderator_sees_drafts(moderator_client, draft):
    assert moderator_client.get(reverse("lots:detail", args=[draft.pk])).status_code == 200


@pytest.mark.parametrize("name", ["lots:edit", "lots:photos", "lots:custody_add"])
def test_second_producer_and_outsider_cannot_open_my_lot_forms(second_producer_client, outsider_client, draft, name):
    url = reverse(name, args=[draft.pk])
    assert second_producer_client.get(url).status_code == 404
    assert outsider_client.get(url).status_code == 403


def test_second_producer_cannot_change_my_lot_status_or_delete_photos(second_producer_client, evidence_lot):
    second_producer_client.post(reverse("lots:transition", args=[evidence_lot.pk]), {"to": "listed"})
    evidence_lot.refresh_from_db()
    assert evidence_lot.status == "draft"
    photo = evidence_lot.photos.get()
    assert second_producer_client.post(reverse("lots:photo_delete", args=[photo.pk])).status_code == 404
    assert LotPhoto.objects.filter(pk=photo.pk).exists()


def test_anonymous_user_is_sent_to_login_for_producer_pages(anon_client):
    response = anon_client.get(reverse("lots:mine"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_photo_falls_back_to_the_sanitized_image_before_derivatives_exist(producer_client, evidence_lot):
    photo = evidence_lot.photos.get()
    response = producer_client.get(reverse("lots:photo", args=[photo.pk, "medium"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_dashboard_panel_lists_my_farms_and_lots(producer_client, draft):
    page = producer_client.get(reverse("accounts:dashboard")).content.decode()
    assert 'id="lots-panel"' in page and draft.code in page


def test_passport_is_a_geojson_feature_collection(client, draft, producer):
    services.lot_transition(lot=draft, to="listed", by=producer)
    response = client.get(reverse("lots:passport", args=[draft.pk]))
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["ProducerCountry"] == "CO"
    assert feature["properties"]["harvest_start"] == "2025-10-01"
    assert feature["properties"]["quantity_kg"] == "320.00"
    assert data["lot"]["hs_code"] == "0901"


@pytest.mark.parametrize(
    ("language", "heading"), [("es", "Catálogo de lotes publicados"), ("pt", "Catálogo de lotes publicados")]
)
def test_catalogue_and_lot_page_speak_spanish_and_portuguese(client, draft, producer, language, heading):
    services.lot_transition(lot=draft, to="listed", by=producer)
    page = client.get(reverse("lots:catalogue"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert heading in page
    detail = client.get(reverse("lots:detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert {"es": "Cadena de custodia", "pt": "Cadeia de custódia"}[language] in detail


def test_lot_form_errors_are_translated(producer_client):
    data = lot_post(process="honey")
    response = producer_client.post(reverse("lots:create"), data, HTTP_ACCEPT_LANGUAGE="pt")
    assert response.status_code == 400
    assert "Informe a cor do honey" in response.content.decode()
