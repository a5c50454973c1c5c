"""REST API: field names, scoping, writes through services, 409 on stale versions, uploads."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lots import services
from lots.models import CustodyEvent, Lot, LotPhoto
from tests.factories import LotFactory
from tests.lots.conftest import jpeg_bytes
from tests.security.hostile_files import clean_pdf

pytestmark = pytest.mark.django_db

LOT_FIELDS = {
    "id",
    "name",
    "status",
    "weight_kg",
    "price",
    "currency",
    "price_unit",
    "incoterm",
    "price_usd_per_kg",
    "price_usd_per_lb",
    "classification",
    "tags",
    "official_score",
    "premium_ratio",
    "verified",
}
EVENT_FIELDS = {"stage", "occurred_on", "weight_in_kg", "weight_out_kg", "state_in", "state_out", "separated"}


def new_lot_body(**overrides):
    body = {
        "name": "API lot",
        "code": "API-1",
        "variety": "Geisha",
        "process": "washed",
        "additives": "none",
        "harvest_year": 2025,
        "weight_kg": "75.50",
        "price": "12.5000",
        "currency": "USD",
        "price_unit": "lb",
        "incoterm": "FCA",
        "incoterm_place": "Hamburg",
    }
    body.update(overrides)
    return body


def test_lot_representation_has_the_documented_fields(api, roaster):
    lot = LotFactory()
    data = api(roaster).get(f"/api/v1/lots/{lot.pk}/").json()
    assert data.keys() >= LOT_FIELDS
    assert data["price_unit"] == "kg"
    assert data["price_usd_per_lb"] == "13.6078"
    assert data["verified"] is None and data["official_score"] is None and data["tags"] == []
    assert data["variety"] == "Gesha"


def test_anonymous_reads_listed_lots_but_not_drafts(api, producer):
    listed = LotFactory(producer=producer)
    draft = LotFactory(producer=producer, status="draft")
    client = api(None)
    ids = {row["id"] for row in client.get("/api/v1/lots/").json()["results"]}
    assert listed.pk in ids and draft.pk not in ids
    assert client.get(f"/api/v1/lots/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/lots/{draft.pk}/passport/").status_code == 404
    assert client.get(f"/api/v1/lots/{draft.pk}/custody-events/").status_code == 404
    assert client.get(f"/api/v1/lots/{draft.pk}/photos/").status_code == 404


@pytest.mark.parametrize("who", ["second_producer", "outsider"])
def test_others_never_see_my_drafts_farms_or_plots(api, request, who, draft, farm, plot):
    client = api(request.getfixturevalue(who))
    assert client.get(f"/api/v1/lots/{draft.pk}/").status_code == 404
    assert draft.pk not in {r["id"] for r in client.get("/api/v1/lots/?mine=1").json()["results"]}
    farms = client.get("/api/v1/farms/")
    assert farms.status_code == 403 if who == "outsider" else farm.pk not in {f["id"] for f in farms.json()["results"]}
    assert client.get(f"/api/v1/plots/{plot.pk}/").status_code in (403, 404)
    assert client.patch(f"/api/v1/lots/{draft.pk}/", {"name": "x", "version": 1}).status_code in (403, 404)


def test_second_producer_cannot_change_my_listed_lot(api, second_producer, draft, producer):
    services.lot_transition(lot=draft, to="listed", by=producer)
    client = api(second_producer)
    assert client.patch(f"/api/v1/lots/{draft.pk}/", {"name": "x", "version": draft.version}).status_code == 403
    assert client.post(f"/api/v1/lots/{draft.pk}/transition/", {"to": "withdrawn"}).status_code == 403
    response = client.post(
        f"/api/v1/lots/{draft.pk}/custody-events/",
        {
            "stage": "harvest",
            "occurred_on": "2025-10-01",
            "state_in": "cherry",
            "state_out": "cherry",
            "weight_in_kg": "10",
            "weight_out_kg": "10",
            "separated": True,
        },
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "listed" and not CustodyEvent.objects.exists()


def test_anonymous_and_roasters_cannot_write(api, roaster):
    assert api(None).post("/api/v1/lots/", new_lot_body()).status_code in (401, 403)
    assert api(roaster).post("/api/v1/lots/", new_lot_body()).status_code == 403
    assert api(None).post("/api/v1/farms/", {"name": "x", "country": "CO"}).status_code in (401, 403)
    assert not Lot.objects.exists()


def test_producer_creates_farm_plot_and_lot_then_lists_it(api, producer):
    client = api(producer)
    farm = client.post("/api/v1/farms/", {"name": "API farm", "country": "et", "region": "Guji"})
    assert farm.status_code == 201, farm.json()
    plot = client.post(
        "/api/v1/plots/",
        {
            "farm": farm.json()["id"],
            "name": "Hill",
            "area_ha": "1.2",
            "variety_names": ["heirloom"],
            "geometry": {"type": "Point", "coordinates": [38.612345, 5.912345]},
        },
    )
    assert plot.status_code == 201, plot.json()
    assert plot.json()["varieties"] == ["Ethiopian landrace"]
    created = client.post("/api/v1/lots/", new_lot_body(farm=farm.json()["id"], plots=[plot.json()["id"]]))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["classification"] == "small"
    # 12.5 USD/lb = 27.5578 USD/kg
    assert body["price_usd_per_kg"] == "27.5578"
    listed = client.post(f"/api/v1/lots/{body['id']}/transition/", {"to": "listed"})
    assert listed.status_code == 200 and listed.json()["status"] == "listed"


def test_big_plot_as_a_point_is_a_400_with_the_field(api, producer, farm):
    response = api(producer).post(
        "/api/v1/plots/",
        {"farm": farm.pk, "name": "Big", "area_ha": "10", "geometry": {"type": "Point", "coordinates": [1, 1]}},
    )
    assert response.status_code == 400
    assert "geometry" in response.json()["extra"]["fields"]


def test_patch_with_a_stale_version_is_409(api, producer, draft):
    client = api(producer)
    first = client.patch(f"/api/v1/lots/{draft.pk}/", {"name": "One", "version": draft.version})
    assert first.status_code == 200 and first.json()["version"] == draft.version + 1
    stale = client.patch(f"/api/v1/lots/{draft.pk}/", {"name": "Two", "version": draft.version})
    assert stale.status_code == 409
    assert stale.json()["extra"]["current_version"] == draft.version + 1
    draft.refresh_from_db()
    assert draft.name == "One"


def test_missing_additives_disclosure_is_a_400(api, producer):
    body = new_lot_body()
    del body["additives"]
    response = api(producer).post("/api/v1/lots/", body)
    assert response.status_code == 400 and "additives" in response.json()["extra"]["fields"]


def test_illegal_transition_is_409(api, producer, draft):
    assert api(producer).post(f"/api/v1/lots/{draft.pk}/transition/", {"to": "sold_out"}).status_code == 409


def test_photo_upload_is_multipart_and_private_evidence_is_for_the_owner(api, producer, roaster, draft, no_broker):
    client = api(producer)
    image = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(f"/api/v1/lots/{draft.pk}/photos/", {"image": image, "kind": "drying"}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "drying" and "gps_lat" in response.json()
    bad = SimpleUploadedFile("p.jpg", b"GIF89a<script>", content_type="image/jpeg")
    assert client.post(f"/api/v1/lots/{draft.pk}/photos/", {"image": bad}, format="multipart").status_code == 400
    assert LotPhoto.objects.count() == 1
    services.lot_transition(lot=draft, to="listed", by=producer)
    public = api(roaster).get(f"/api/v1/lots/{draft.pk}/photos/").json()
    assert len(public) == 1 and "gps_lat" not in public[0]
    photo_id = public[0]["id"]
    assert api(roaster).delete(f"/api/v1/lots/{draft.pk}/photos/{photo_id}/").status_code == 403
    assert client.delete(f"/api/v1/lots/{draft.pk}/photos/{photo_id}/").status_code == 204


def test_custody_events_api_uses_the_documented_fields_and_verifies(api, producer, draft):
    client = api(producer)
    response = client.post(
        f"/api/v1/lots/{draft.pk}/custody-events/",
        {
            "stage": "harvest",
            "occurred_on": "2025-10-02",
            "state_in": "cherry",
            "state_out": "cherry",
            "weight_in_kg": "1500",
            "weight_out_kg": "1500",
            "separated": True,
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json().keys() >= EVENT_FIELDS
    pdf = SimpleUploadedFile("ticket.pdf", clean_pdf(), content_type="application/pdf")
    response = client.post(
        f"/api/v1/lots/{draft.pk}/custody-events/",
        {
            "stage": "depulping",
            "occurred_on": "2025-10-03",
            "state_in": "cherry",
            "state_out": "parchment",
            "weight_in_kg": "1500",
            "weight_out_kg": "330",
            "separated": "true",
            "documents": [pdf],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["documents"][0]["name"] == "ticket.pdf"
    events = client.get(f"/api/v1/lots/{draft.pk}/custody-events/").json()["results"]
    assert [e["stage"] for e in events] == ["harvest", "depulping"]
    head = CustodyEvent.objects.get(lot=draft, seq=2).content_hash
    assert client.get(f"/api/v1/lots/{draft.pk}/custody-verify/").json() == {
        "ok": True,
        "count": 2,
        "first_broken_seq": None,
        "reason": "",
        "code": "ok",
        "head_hash": head,
    }
    CustodyEvent.objects.filter(seq=1).update(separated=False)
    assert client.get(f"/api/v1/lots/{draft.pk}/custody-verify/").json()["first_broken_seq"] == 1


def test_the_api_reports_a_removed_last_event_with_its_reason(api, producer, draft):
    client = api(producer)
    for stage, state_out in (("harvest", "cherry"), ("depulping", "parchment")):
        body = {
            "stage": stage,
            "occurred_on": "2025-10-03",
            "state_in": "cherry",
            "state_out": state_out,
            "weight_in_kg": "1500",
            "weight_out_kg": "1500" if stage == "harvest" else "330",
            "separated": True,
        }
        assert client.post(f"/api/v1/lots/{draft.pk}/custody-events/", body, format="json").status_code == 201
    CustodyEvent.objects.filter(lot=draft, seq=2).delete()
    data = client.get(f"/api/v1/lots/{draft.pk}/custody-verify/").json()
    assert (data["ok"], data["code"], data["first_broken_seq"]) == (False, "truncated", 2)
    assert data["reason"] == "the chain ends at event 1 but the lot recorded 2 events: the last event was removed"
    passport = client.get(f"/api/v1/lots/{draft.pk}/passport/").json()["lot"]["custody"]
    assert (passport["event_count"], passport["verified"], passport["code"]) == (2, False, "truncated")


def test_passport_api_is_geojson(api, roaster, producer, draft):
    services.lot_transition(lot=draft, to="listed", by=producer)
    data = api(roaster).get(f"/api/v1/lots/{draft.pk}/passport/").json()
    assert data["type"] == "FeatureCollection"
    assert data["features"][0]["geometry"]["coordinates"] == [-75.912345, 1.852345]


def test_catalogue_filters_work_in_the_api_and_bad_ones_are_400(api, producer):
    LotFactory(producer=producer, price_usd_per_kg=Decimal("50"), name="Dear")
    LotFactory(producer=producer, price_usd_per_kg=Decimal("10"), name="Cheap")
    client = api(None)
    names = [r["name"] for r in client.get("/api/v1/lots/", {"price_min": "20", "price_unit": "lb"}).json()["results"]]
    assert names == ["Dear"]
    assert client.get("/api/v1/lots/", {"score_min": "lots"}).status_code == 400


def test_producer_sees_own_drafts_with_mine(api, producer, draft):
    rows = api(producer).get("/api/v1/lots/", {"mine": "1"}).json()["results"]
    assert [r["id"] for r in rows] == [draft.pk]


def test_harvest_dates_in_the_api(api, producer):
    body = new_lot_body(harvest_start="2025-10-01", harvest_end="2025-09-01")
    response = api(producer).post("/api/v1/lots/", body)
    assert response.status_code == 400 and "harvest_end" in response.json()["extra"]["fields"]
