"""Browser pages: role refusals, forms with per-field errors, escaping, originals, section, calibration."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.models import Job
from cupping import services
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading
from cupping.selectors import calibration
from tests import factories
from tests.cupping.conftest import yesterday

pytestmark = pytest.mark.django_db

PAGES = [
    ("cupping:queue", "q_grader"),
    ("cupping:sheet_new", "q_grader"),
    ("cupping:grading_new", "q_grader"),
    ("cupping:import", "q_grader"),
    ("cupping:import_template", "q_grader"),
    ("cupping:requests", "producer"),
    ("cupping:calibration", "moderator"),
]


@pytest.mark.parametrize(("name", "role"), PAGES)
def test_pages_open_for_their_role_and_refuse_the_outsider_and_anonymous(
    request, name, role, outsider_client, anon_client
):
    client = request.getfixturevalue(f"{role}_client")
    assert client.get(reverse(name)).status_code == 200
    assert outsider_client.get(reverse(name)).status_code == 403
    assert anon_client.get(reverse(name)).status_code == 302


def sca_post(lot, **over: str) -> dict[str, str]:
    data = dict.fromkeys(("fragrance_aroma", "flavor", "aftertaste", "acidity", "body", "balance", "overall"), "7.50")
    data.update(
        lot=str(lot.pk),
        cupped_on=yesterday().isoformat(),
        independent="on",
        uniform_cups="5",
        clean_cups="5",
        sweet_cups="5",
        taint_cups="0",
        fault_cups="0",
        notes="<script>alert(1)</script> jasmine",
        acidity_intensity="high",
    )
    data.update(over)
    return data


def test_a_grader_enters_an_sca_sheet_in_the_browser(q_grader_client, lot):
    res = q_grader_client.post(reverse("cupping:sheet_new") + "?protocol=sca2004", sca_post(lot))
    sheet = CuppingSheet.objects.get()
    assert res.status_code == 302 and res["Location"] == reverse("cupping:sheet", args=[sheet.pk])
    assert sheet.final_score == Decimal("82.50") and sheet.acidity_intensity == "high"
    page = q_grader_client.get(res["Location"]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; jasmine" in page
    assert "<script>alert(1)" not in page


def test_the_form_shows_each_field_error_and_saves_nothing(q_grader_client, lot):
    res = q_grader_client.post(
        reverse("cupping:sheet_new") + "?protocol=sca2004", sca_post(lot, flavor="10.5", body="7.1", sweet_cups="")
    )
    assert res.status_code == 400
    html = res.content.decode()
    assert 'id="error-flavor"' in html and "Must be between 6.00 and 10.00." in html
    assert 'id="error-body"' in html and "steps of 0.25" in html
    assert 'id="error-sweet_cups"' in html
    assert not CuppingSheet.objects.exists()


def test_a_grader_enters_a_cva_sheet_with_the_descriptive_part(q_grader_client, lot):
    data = dict.fromkeys(
        ("fragrance", "aroma", "flavor", "aftertaste", "acidity", "sweetness", "mouthfeel", "overall"), "6"
    )
    data.update(
        lot=str(lot.pk),
        cupped_on=yesterday().isoformat(),
        independent="on",
        non_uniform_cups="1",
        defective_cups="0",
        intensity_acidity="12",
        descriptors=["floral", "fruity"],
        descriptor_notes="peach",
    )
    res = q_grader_client.post(reverse("cupping:sheet_new") + "?protocol=cva", data)
    assert res.status_code == 302, res.content.decode()[:2000]
    sheet = CuppingSheet.objects.get()
    assert sheet.final_score == Decimal("82.25")  # 0.65625 × 48 + 52.75 − 2 = 82.25
    assert sheet.intensities == {"acidity": 12} and sheet.descriptors == ["floral", "fruity"]
    bad = q_grader_client.post(
        reverse("cupping:sheet_new") + "?protocol=cva", data | {"aroma": "10", "intensity_acidity": "16"}
    )
    assert bad.status_code == 400 and 'id="error-aroma"' in bad.content.decode()
    assert 'id="error-intensity_acidity"' in bad.content.decode()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buf, "PNG")
    return buf.getvalue()


def test_the_signed_original_is_seen_only_by_grader_producer_and_moderators(
    q_grader, q_grader_client, producer_client, moderator_client, roaster_client, second_producer_client, lot, submit
):
    sheet = submit(q_grader, lot)
    upload = reverse("cupping:sheet_original_upload", args=[sheet.pk])
    res = q_grader_client.post(upload, {"file": SimpleUploadedFile("sheet.png", png(), content_type="image/png")})
    assert res.status_code == 302
    url = reverse("cupping:sheet_original", args=[sheet.pk])
    for client in (q_grader_client, producer_client, moderator_client):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    for client in (roaster_client, second_producer_client):
        assert client.get(url).status_code == 403
        assert b"Open the signed original" not in client.get(reverse("cupping:sheet", args=[sheet.pk])).content


def test_withdraw_in_the_browser(q_grader_client, roaster_client, q_grader, lot, submit):
    sheet = submit(q_grader, lot)
    url = reverse("cupping:sheet_withdraw", args=[sheet.pk])
    assert roaster_client.post(url, {"reason": "x"}).status_code == 403
    q_grader_client.post(url, {"reason": "cupped the wrong sample"})
    sheet.refresh_from_db()
    assert sheet.status == "withdrawn"


def test_green_grading_form(q_grader_client, lot):
    data = {
        "lot": str(lot.pk),
        "graded_on": yesterday().isoformat(),
        "sample_grams": "350",
        "quakers": "0",
        "moisture_pct": "10.5",
        "water_activity": "0.52",
        "defect_broken": "12",
        "defect_full_sour": "1",
    }
    bad = q_grader_client.post(reverse("cupping:grading_new"), data | {"water_activity": "1.5"})
    assert bad.status_code == 400 and 'id="error-water_activity"' in bad.content.decode()
    res = q_grader_client.post(reverse("cupping:grading_new"), data)
    report = GreenGrading.objects.get()
    assert res.status_code == 302
    assert (report.category1_defects, report.category2_defects, report.specialty) == (1, 2, False)
    page = q_grader_client.get(reverse("cupping:grading", args=[report.pk])).content.decode()
    assert "Category 1 defects found" in page


def test_producer_requests_cupping_and_the_grader_accepts_from_the_queue(
    producer_client, q_grader_client, lot, q_grader
):
    res = producer_client.post(reverse("cupping:requests"), {"lot": lot.pk, "grader": "", "protocol": "", "note": "hi"})
    assert res.status_code == 302
    req = CuppingRequest.objects.get()
    assert req.grader is None
    queue = q_grader_client.get(reverse("cupping:queue")).content.decode()
    assert f'id="queue-{req.pk}"' in queue
    q_grader_client.post(reverse("cupping:request_accept", args=[req.pk]))
    req.refresh_from_db()
    assert (req.status, req.grader_id) == ("accepted", q_grader.pk)


def test_a_producer_cannot_request_cupping_of_another_producers_lot(second_producer_client, lot):
    res = second_producer_client.post(reverse("cupping:requests"), {"lot": lot.pk})
    assert res.status_code == 400
    assert not CuppingRequest.objects.exists()


def test_import_page_starts_a_job_and_shows_the_progress_bar(q_grader_client, lot, django_capture_on_commit_callbacks):
    from cupping import imports

    csv_bytes = imports.import_template_csv().replace("123,", f"{lot.pk},").encode()
    with django_capture_on_commit_callbacks(execute=False):
        res = q_grader_client.post(reverse("cupping:import"), {"file": SimpleUploadedFile("s.csv", csv_bytes)})
    job = Job.objects.get()
    assert res.status_code == 200
    assert f'hx-get="{reverse("cupping:import_job", args=[job.pk])}"' in res.content.decode()
    template = q_grader_client.get(reverse("cupping:import_template"))
    assert template["Content-Type"].startswith("text/csv")
    assert template.content.decode().splitlines()[0] == ",".join(imports.IMPORT_COLUMNS)


def test_the_lot_page_shows_the_official_score_and_the_radar_chart(client, q_grader, second_grader, lot, submit):
    submit(q_grader, lot)
    submit(second_grader, lot, overall=Decimal("8.50"))
    html = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert 'id="cupping"' in html
    assert "SCA 83.00" in html and "2 independent graders, spread 1.00" in html
    assert 'class="radar-shape"' in html and "<svg" in html
    assert "style=" not in html.split('id="cupping"')[1].split("</section>")[0]


def test_calibration_shows_each_graders_deviation_from_the_panel_mean(
    moderator_client, q_grader, second_grader, third_grader, producer, submit
):
    lot_a, lot_b = factories.LotFactory(producer=producer), factories.LotFactory(producer=producer)
    submit(q_grader, lot_a, overall=Decimal("9.00"))  # 84.00
    submit(second_grader, lot_a)  # 82.50 → panel 83.25
    submit(q_grader, lot_b, overall=Decimal("8.50"))  # 83.50
    submit(third_grader, lot_b)  # 82.50 → panel 83.00
    rows = {r["grader"].pk: r for r in calibration("sca2004")}
    assert (rows[q_grader.pk]["lots"], rows[q_grader.pk]["mean_deviation"]) == (2, Decimal("0.63"))
    assert rows[second_grader.pk]["mean_deviation"] == Decimal("-0.75")
    assert rows[third_grader.pk]["mean_deviation"] == Decimal("-0.50")
    page = moderator_client.get(reverse("cupping:calibration")).content.decode()
    assert f'id="calibration-{q_grader.pk}"' in page and "+0.63" in page


def test_dashboards_show_the_queue_and_the_open_requests(producer, producer_client, q_grader_client, lot):
    services.request_create(lot=lot, by=producer)
    grader_page = q_grader_client.get(reverse("accounts:dashboard")).content.decode()
    assert 'id="cupping-panel"' in grader_page and "1 request waiting in your queue." in grader_page
    producer_page = producer_client.get(reverse("accounts:dashboard")).content.decode()
    assert 'id="cupping-panel"' in producer_page and lot.name in producer_page


def test_a_missing_lot_does_not_hide_the_score_errors(q_grader_client, lot):
    res = q_grader_client.post(reverse("cupping:sheet_new") + "?protocol=cva", {"aroma": "12", "cupped_on": ""})
    html = res.content.decode()
    assert res.status_code == 400
    for name in ("lot", "cupped_on", "aroma", "fragrance", "overall"):
        assert f'id="error-{name}"' in html, name
    assert not CuppingSheet.objects.exists()


def test_admin_lists_cupping_records_read_only(client, q_grader, producer, lot, submit):
    from accounts.models import User

    admin_user = User.objects.create_superuser(
        email="root@example.test", password="x-long-password-1", role="moderator"
    )
    client.force_login(admin_user, backend="accounts.backends.EmailBackend")
    sheet = submit(q_grader, lot)
    services.request_create(lot=lot, by=producer)
    coe = submit(factories.QGraderFactory(), lot, "coe")
    for model in ("cuppingsheet", "cuppingrequest", "greengrading", "lotscore"):
        assert client.get(f"/admin/cupping/{model}/").status_code == 200, model
    assert client.get(f"/admin/cupping/cuppingsheet/{sheet.pk}/change/").status_code == 200
    assert client.get(f"/admin/cupping/cuppingsheet/{coe.pk}/change/").status_code == 200
    assert b"coe" in client.get("/admin/cupping/cuppingsheet/?protocol__exact=coe").content
    assert client.get("/admin/cupping/cuppingsheet/add/").status_code == 403
