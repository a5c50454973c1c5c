"""The REST API: exact field names, computed final_score, per-field errors, scoping and refusals."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cupping import services
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading
from tests import factories
from tests.cupping.conftest import yesterday
from tests.security.hostile_files import clean_pdf

pytestmark = pytest.mark.django_db

SCA_BODY = {
    "protocol": "sca2004",
    "independent": True,
    "fragrance_aroma": "7.50",
    "flavor": "7.50",
    "aftertaste": "7.50",
    "acidity": "7.50",
    "body": "7.50",
    "balance": "7.50",
    "overall": "7.75",
    "uniform_cups": 5,
    "clean_cups": 4,  # a tainted cup is not clean (DOMAIN.md §2)
    "sweet_cups": 5,
    "taint_cups": 1,
    "fault_cups": 0,
}
CVA_BODY = {
    "protocol": "cva",
    "independent": True,
    "fragrance": 5,
    "aroma": 5,
    "flavor": 5,
    "aftertaste": 5,
    "acidity": 5,
    "sweetness": 5,
    "mouthfeel": 5,
    "overall": 6,
    "non_uniform_cups": 0,
    "defective_cups": 0,
    "intensities": {"acidity": 12},
    "descriptors": ["floral"],
}


def body(lot, base: dict) -> dict:
    return {**base, "lot": lot.pk, "cupped_on": yesterday().isoformat()}


def test_a_grader_posts_an_sca_sheet_and_gets_the_computed_final_score(api, q_grader, lot):
    res = api(q_grader).post("/api/v1/cupping-sheets/", body(lot, SCA_BODY), format="json")
    assert res.status_code == 201, res.content
    data = res.json()
    assert data["final_score"] == "78.75"
    assert (data["total"], data["defects"], data["independent"]) == ("80.75", "2.00", True)
    assert data["score_label"] == "SCA 78.75"
    assert data["form_version"] == "SCA-2004"


def test_a_grader_posts_a_cva_sheet_with_json_numbers(api, q_grader, lot):
    res = api(q_grader).post("/api/v1/cupping-sheets/", body(lot, CVA_BODY), format="json")
    assert res.status_code == 201, res.content
    assert res.json()["final_score"] == "79.75"
    assert res.json()["descriptors"] == ["floral"]


def test_a_typed_final_score_is_ignored(api, q_grader, lot):
    res = api(q_grader).post("/api/v1/cupping-sheets/", body(lot, SCA_BODY) | {"final_score": "99.00"}, format="json")
    assert res.json()["final_score"] == "78.75"


def test_invalid_values_get_a_message_per_field_and_write_nothing(api, q_grader, lot):
    res = api(q_grader).post(
        "/api/v1/cupping-sheets/", body(lot, SCA_BODY) | {"flavor": "5.00", "clean_cups": 9}, format="json"
    )
    assert res.status_code == 400
    fields = res.json()["extra"]["fields"]
    assert set(fields) == {"flavor", "clean_cups"}
    assert fields["flavor"] == ["Must be between 6.00 and 10.00."]
    assert not CuppingSheet.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "producer", "moderator", None])
def test_only_q_graders_post_sheets(api, request, who, lot):
    user = request.getfixturevalue(who) if who else None
    res = api(user).post("/api/v1/cupping-sheets/", body(lot, SCA_BODY), format="json")
    assert res.status_code in (401, 403)
    assert not CuppingSheet.objects.exists()


def test_anonymous_cannot_read_sheets(api, q_grader, lot, submit):
    submit(q_grader, lot)
    assert api(None).get("/api/v1/cupping-sheets/").status_code in (401, 403)
    assert api(None).get("/api/v1/green-gradings/").status_code in (401, 403)
    assert api(None).get("/api/v1/cupping-requests/").status_code in (401, 403)


def test_sheets_are_scoped_to_who_asks(api, q_grader, second_grader, outsider, producer, submit):
    public = factories.LotFactory(producer=producer)
    draft = factories.LotFactory(producer=producer, status="draft", listed_at=None)
    services.request_create(lot=draft, by=producer, grader=q_grader)
    on_public = submit(q_grader, public)
    on_draft = submit(q_grader, draft)
    ids = lambda user: {s["id"] for s in api(user).get("/api/v1/cupping-sheets/").json()["results"]}  # noqa: E731
    assert ids(q_grader) == {on_public.pk, on_draft.pk}
    assert ids(producer) == {on_public.pk, on_draft.pk}
    assert ids(outsider) == {on_public.pk}
    assert ids(second_grader) == {on_public.pk}
    assert api(outsider).get(f"/api/v1/cupping-sheets/{on_draft.pk}/").status_code == 404


def test_withdraw_through_the_api(api, q_grader, second_grader, outsider, lot, submit):
    sheet = submit(q_grader, lot)
    url = f"/api/v1/cupping-sheets/{sheet.pk}/withdraw/"
    assert api(outsider).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(second_grader).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(q_grader).post(url, {}, format="json").status_code == 400
    res = api(q_grader).post(url, {"reason": "wrong lot"}, format="json")
    assert res.status_code == 200 and res.json()["status"] == "withdrawn"
    lot.refresh_from_db()
    assert lot.official_score is None


def test_original_upload_is_multipart_and_for_the_grader_only(api, q_grader, second_grader, lot, submit):
    sheet = submit(q_grader, lot)
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(buf, "PNG")
    url = f"/api/v1/cupping-sheets/{sheet.pk}/original/"
    upload = lambda: SimpleUploadedFile("s.png", buf.getvalue(), content_type="image/png")  # noqa: E731
    assert api(second_grader).post(url, {"file": upload()}, format="multipart").status_code == 403
    res = api(q_grader).post(url, {"file": upload()}, format="multipart")
    assert res.status_code == 200, res.content
    assert res.json()["has_original"] is True and len(res.json()["original_sha256"]) == 64
    bad = api(q_grader).post(url, {"file": SimpleUploadedFile("x.png", b"<svg/>")}, format="multipart")
    assert bad.status_code == 400 and "file" in bad.json()["extra"]["fields"]


def test_green_grading_api(api, q_grader, outsider, lot):
    payload = {
        "lot": lot.pk,
        "graded_on": yesterday().isoformat(),
        "defects": {"full_black": 1, "broken": 11},
        "quakers": 0,
        "moisture_pct": "11.2",
        "water_activity": "0.58",
        "screen_size": 17,
        "screen_off_pct": "2.0",
    }
    assert api(outsider).post("/api/v1/green-gradings/", payload, format="json").status_code == 403
    res = api(q_grader).post("/api/v1/green-gradings/", payload, format="json")
    assert res.status_code == 201, res.content
    data = res.json()
    assert (data["category1_defects"], data["category2_defects"], data["specialty"]) == (1, 2, False)
    assert data["reasons"] == ["category1"]
    bad = api(q_grader).post("/api/v1/green-gradings/", payload | {"moisture_pct": "31"}, format="json")
    assert bad.status_code == 400
    assert GreenGrading.objects.count() == 1


def test_cupping_requests_api(api, producer, second_producer, q_grader, outsider, lot):
    assert api(outsider).post("/api/v1/cupping-requests/", {"lot": lot.pk}, format="json").status_code == 403
    assert api(second_producer).post("/api/v1/cupping-requests/", {"lot": lot.pk}, format="json").status_code == 400
    res = api(producer).post("/api/v1/cupping-requests/", {"lot": lot.pk, "protocol": "cva"}, format="json")
    assert res.status_code == 201
    req_id = res.json()["id"]
    assert [r["id"] for r in api(q_grader).get("/api/v1/cupping-requests/").json()["results"]] == [req_id]
    assert api(outsider).get("/api/v1/cupping-requests/").status_code == 403
    assert api(second_producer).get("/api/v1/cupping-requests/").json()["results"] == []
    assert api(producer).post(f"/api/v1/cupping-requests/{req_id}/accept/").status_code == 403
    accepted = api(q_grader).post(f"/api/v1/cupping-requests/{req_id}/accept/")
    assert accepted.status_code == 200 and accepted.json()["grader"] == q_grader.pk
    cancelled = api(producer).post(f"/api/v1/cupping-requests/{req_id}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert CuppingRequest.objects.get().status == "cancelled"


def test_import_api_starts_a_job(api, q_grader, outsider, lot, django_capture_on_commit_callbacks):
    from cupping import imports

    csv_text = imports.import_template_csv().replace("123,", f"{lot.pk},")
    assert api(outsider).post("/api/v1/cupping-imports/", {"csv": csv_text}, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        res = api(q_grader).post("/api/v1/cupping-imports/", {"csv": csv_text}, format="json")
    assert res.status_code == 202 and res.json()["status"] == "pending"
    assert len(callbacks) == 1
    from cupping.tasks import run_cupping_import

    job_id = res.json()["id"]
    run_cupping_import(job_id)
    previewed = api(q_grader).get(f"/api/v1/cupping-imports/{job_id}/").json()
    assert (previewed["status"], previewed["created"], previewed["confirmed"]) == ("previewed", None, False)
    assert previewed["preview"]["rows"] == 3 and not CuppingSheet.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        confirmed = api(q_grader).post(f"/api/v1/cupping-imports/{job_id}/confirm/")
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "pending" and len(callbacks) == 1
    run_cupping_import(job_id)
    status = api(q_grader).get(f"/api/v1/cupping-imports/{job_id}/").json()
    assert (status["status"], status["created"], status["percent"]) == ("succeeded", 3, 100)


def test_lot_scores_api(api, q_grader, roaster, lot, submit):
    submit(q_grader, lot)
    rows = api(roaster).get(f"/api/v1/lot-scores/?lot={lot.pk}").json()["results"]
    assert rows == [
        {
            "lot": lot.pk,
            "protocol": "sca2004",
            "harvest_year": 2025,
            "mean": "82.50",
            "label": "SCA 82.50",
            "graders": 1,
            "spread": "0.00",
            "attribute_means": rows[0]["attribute_means"],
            "is_catalogue_score": True,
        }
    ]
    assert api(None).get("/api/v1/lot-scores/").status_code in (401, 403)


def test_the_signed_original_is_downloadable_by_grader_producer_and_moderator_only(
    api, q_grader, producer, moderator, roaster, second_producer, lot, submit
):
    sheet = submit(q_grader, lot)
    url = f"/api/v1/cupping-sheets/{sheet.pk}/original/"
    assert api(q_grader).get(url).status_code == 404  # nothing attached yet
    services.sheet_attach_original(sheet_id=sheet.pk, by=q_grader, data=clean_pdf())
    for user in (q_grader, producer, moderator):
        res = api(user).get(url)
        assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
        assert b"".join(res.streaming_content).startswith(b"%PDF-")
    for user in (roaster, second_producer):
        assert api(user).get(url).status_code == 403
    assert api(None).get(url).status_code in (401, 403)


def test_a_retried_post_with_the_same_idempotency_key_creates_one_sheet(api, q_grader, lot):
    client = api(q_grader)
    first = client.post("/api/v1/cupping-sheets/", body(lot, SCA_BODY), format="json", HTTP_IDEMPOTENCY_KEY="lab-42")
    again = client.post("/api/v1/cupping-sheets/", body(lot, SCA_BODY), format="json", HTTP_IDEMPOTENCY_KEY="lab-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert CuppingSheet.objects.count() == 1
    other = client.post(
        "/api/v1/cupping-sheets/",
        body(lot, SCA_BODY) | {"overall": "8.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="lab-42",
    )
    assert other.status_code == 409


@pytest.mark.parametrize("query", ["page=", "page=0", "page=x", "page=1&page=2", "page_size=0", "lot=x", "lot=1&lot=2"])
def test_malformed_list_parameters_are_refused(api, roaster, query):
    res = api(roaster).get(f"/api/v1/green-gradings/?{query}")
    assert res.status_code == 400
    assert api(roaster).get("/api/v1/green-gradings/?page=1&page_size=5&lot=1").status_code == 200
