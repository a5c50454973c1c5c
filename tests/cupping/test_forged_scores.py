"""Issue 13, "Forged official scores": attacks on the CSV import and the official score, tried
through the API and the pages as a hostile grader would, and every import job ending with a reason."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import QGraderProfile
from core.models import AuditEvent, Job
from cupping import imports, services
from cupping.models import CuppingSheet
from cupping.tasks import cupping_imports_resume, reassess_grader_sheets, recompute_lot_score, run_cupping_import
from tests import factories
from tests.cupping.conftest import sca_values, yesterday
from tests.cupping.test_import import cva_row, make_csv, sca_row

pytestmark = pytest.mark.django_db

D = Decimal
IMPORTS = "/api/v1/cupping-imports/"


def api_import(client, text: str, capture) -> tuple[str, dict]:
    """POST the CSV, run the check task as a worker would, and GET the job."""
    with capture(execute=False):
        res = client.post(IMPORTS, {"csv": text}, format="json")
    assert res.status_code == 202, res.content
    job_id = res.json()["id"]
    run_cupping_import(job_id)
    return job_id, client.get(f"{IMPORTS}{job_id}/").json()


def api_confirm(client, job_id: str, capture) -> dict:
    with capture(execute=False):
        res = client.post(f"{IMPORTS}{job_id}/confirm/")
    assert res.status_code == 202, res.content
    run_cupping_import(job_id)
    return client.get(f"{IMPORTS}{job_id}/").json()


def lot_score(api, user, lot) -> tuple[str | None, str]:
    data = api(user).get(f"/api/v1/lots/{lot.pk}/").json()
    return data["official_score"], data["official_score_protocol"]


# --- 1. Imported sheets are the uploader's own, for lots open to them ---------------------------


def test_an_import_naming_another_q_grader_is_refused_and_moves_no_score(
    api, q_grader, unverified_grader, roaster, lot, submit, django_capture_on_commit_callbacks
):
    """The attack: a self-registered grader names a verified grader in the ``grader`` column."""
    submit(q_grader, lot)  # 82.50
    forged = make_csv([sca_row(lot, q_grader.email, score="10.00")])
    job_id, job = api_import(api(unverified_grader), forged, django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and job["preview"] is None
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(2, "grader")]
    assert "Imported sheets are always yours" in job["errors"][0]["message"]
    assert CuppingSheet.objects.filter(grader=q_grader).count() == 1
    assert lot_score(api, roaster, lot) == ("82.50", "sca2004")
    # Nothing to confirm: the job is finished.
    assert api(unverified_grader).post(f"{IMPORTS}{job_id}/confirm/").status_code == 409


def test_a_self_registered_grader_cannot_set_a_lots_score_with_their_own_imported_sheets(
    api, q_grader, unverified_grader, roaster, lot, submit, django_capture_on_commit_callbacks
):
    submit(q_grader, lot)  # 82.50
    client = api(unverified_grader)
    job_id, job = api_import(client, make_csv([sca_row(lot, score="10.00")]), django_capture_on_commit_callbacks)
    assert job["status"] == "previewed"
    (item,) = job["preview"]["lots"]
    assert item["rows"][0]["counts"] is False and item["rows"][0]["reasons"] == [services.LICENCE_UNVERIFIED]
    assert "None of these sheets will count" in job["preview"]["warnings"][0]
    assert item["official_before"] == item["official_after"] == {"sca2004": {"value": "82.50", "graders": 1}}
    done = api_confirm(client, job_id, django_capture_on_commit_callbacks)
    assert done["status"] == "succeeded"
    sheet = CuppingSheet.objects.get(grader=unverified_grader)
    assert (sheet.final_score, sheet.independent) == (D("100.00"), False)
    assert lot_score(api, roaster, lot) == ("82.50", "sca2004")


def test_an_import_for_a_lot_not_open_to_the_uploader_is_refused_with_one_message(
    api, producer, q_grader, second_grader, unverified_grader, django_capture_on_commit_callbacks
):
    draft = factories.LotFactory(producer=producer, status="draft", listed_at=None)
    withdrawn = factories.LotFactory(producer=producer, status="withdrawn")
    services.request_create(lot=draft, by=producer, grader=second_grader)  # someone else's request
    rows = [sca_row(draft), sca_row(withdrawn), {**sca_row(draft), "lot": draft.pk + 10_000}]
    _, job = api_import(api(q_grader), make_csv(rows), django_capture_on_commit_callbacks)
    assert job["status"] == "failed"
    messages = {e["message"] for e in job["errors"]}
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(2, "lot"), (3, "lot"), (4, "lot")]
    assert len(messages) == 1 and "open to you" in messages.pop()  # a missing lot reads the same

    # An open request is open to verified graders only; a named one opens the lot to its grader.
    services.request_create(lot=draft, by=producer)
    _, job = api_import(api(unverified_grader), make_csv([sca_row(draft)]), django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and job["errors"][0]["column"] == "lot"
    _, job = api_import(api(q_grader), make_csv([sca_row(draft)]), django_capture_on_commit_callbacks)
    assert job["status"] == "previewed"
    _, job = api_import(api(second_grader), make_csv([sca_row(draft)]), django_capture_on_commit_callbacks)
    assert job["status"] == "previewed"
    assert not CuppingSheet.objects.exists()


def test_the_sheet_form_offers_no_lot_an_open_request_would_open_to_an_unverified_grader(
    producer, unverified_grader, submit
):
    from cupping.selectors import lots_open_to_grader

    draft = factories.LotFactory(producer=producer, status="draft", listed_at=None)
    services.request_create(lot=draft, by=producer)
    assert draft not in lots_open_to_grader(unverified_grader)
    with pytest.raises(Exception) as exc:
        submit(unverified_grader, draft)
    assert "lot" in exc.value.message_dict


def test_a_grader_whose_verified_licence_has_expired_can_neither_cup_nor_take_a_private_draft_opened_to_all(
    api, producer, second_grader, django_capture_on_commit_callbacks
):
    """Issue 13: only verified, live licences may take requests open to any grader (DOMAIN.md: a
    private draft is opened only by a request); an expired licence is no longer one of them."""
    draft = factories.LotFactory(producer=producer, status="draft", listed_at=None)
    request = services.request_create(lot=draft, by=producer)
    profile = second_grader.q_grader_profile
    profile.licence_expires_on = timezone.localdate() - datetime.timedelta(days=1)
    profile.save(update_fields=["licence_expires_on"])
    client = api(second_grader)
    sheet = {"lot": draft.pk, "protocol": "sca2004", "cupped_on": yesterday().isoformat(), "independent": True}
    answer = client.post("/api/v1/cupping-sheets/", sheet | sca_values(), format="json")
    assert answer.status_code == 400 and "lot" in answer.json()["extra"]["fields"], answer.content
    grading = {"lot": draft.pk, "graded_on": yesterday().isoformat(), "sample_grams": 350, "moisture_pct": "10.8"}
    grading |= {"water_activity": "0.55", "quakers": 0}
    answer = client.post("/api/v1/green-gradings/", grading, format="json")
    assert answer.status_code == 400 and "lot" in answer.json()["extra"]["fields"], answer.content
    assert client.post(f"/api/v1/cupping-requests/{request.pk}/accept/").status_code in (403, 404)
    _, job = api_import(client, make_csv([sca_row(draft)]), django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and job["errors"][0]["column"] == "lot"
    assert draft.pk not in [row["id"] for row in client.get("/api/v1/cupping-requests/").json()["results"]]
    assert not CuppingSheet.objects.filter(lot=draft).exists()
    request.refresh_from_db()
    assert (request.status, request.grader_id) == ("open", None)

    # Renewed (a later expiry), the same grader may take it: the refusals above were about the licence.
    profile.licence_expires_on = timezone.localdate() + datetime.timedelta(days=365)
    profile.save(update_fields=["licence_expires_on"])
    assert client.post(f"/api/v1/cupping-requests/{request.pk}/accept/").status_code == 200
    answer = client.post("/api/v1/cupping-sheets/", sheet | sca_values(), format="json")
    assert answer.status_code == 201, answer.content


# --- 2. Unverified or expired licences never count, wherever the score is computed --------------


def test_a_moderator_withdrawing_a_verification_takes_the_graders_sheets_out_of_the_score(
    api, q_grader, second_grader, moderator_client, roaster, lot, submit, django_capture_on_commit_callbacks
):
    submit(q_grader, lot)  # 82.50
    sheet = submit(second_grader, lot, overall=D("9.50"))  # 84.50
    assert lot_score(api, roaster, lot) == ("83.50", "sca2004")
    profile = second_grader.q_grader_profile
    url = reverse("accounts:licence_verify", args=[profile.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert moderator_client.post(url, {"verified": "0"}).status_code == 302
    assert [cb.__qualname__ for cb in callbacks].count(f"{reassess_grader_sheets.name}.delay") == 1
    reassess_grader_sheets(second_grader.pk)  # as the worker runs it after commit
    assert lot_score(api, roaster, lot) == ("82.50", "sca2004")
    sheet.refresh_from_db()
    assert (sheet.independent, sheet.independence_reasons) == (False, [services.LICENCE_UNVERIFIED])
    scores = api(roaster).get(f"/api/v1/lots/{lot.pk}/").json()["official_scores"]
    assert [(s["protocol"], s["value"], s["graders"]) for s in scores] == [("sca2004", "82.50", 1)]
    # Verified again: the sheet counts again.
    with django_capture_on_commit_callbacks(execute=False):
        moderator_client.post(url, {"verified": "1"})
    reassess_grader_sheets(second_grader.pk)
    assert lot_score(api, roaster, lot) == ("83.50", "sca2004")


def test_a_verification_withdrawn_behind_the_services_back_still_never_counts(
    api, q_grader, second_grader, roaster, lot, submit
):
    submit(q_grader, lot)
    submit(second_grader, lot, overall=D("9.50"))
    # A bulk update writes no signal: the stored flag still says independent.
    QGraderProfile.objects.filter(user=second_grader).update(licence_verified_at=None)
    assert recompute_lot_score(lot.pk) == "ok"
    assert lot_score(api, roaster, lot) == ("82.50", "sca2004")
    assert CuppingSheet.objects.get(grader=second_grader).independent is True  # stale flag, not trusted


def test_a_sheet_cupped_after_the_licence_expired_never_counts_even_if_flagged_independent(
    api, q_grader, second_grader, roaster, lot, submit
):
    submit(q_grader, lot)
    late = submit(second_grader, lot, overall=D("9.50"))
    QGraderProfile.objects.filter(user=second_grader).update(licence_expires_on=yesterday() - datetime.timedelta(1))
    CuppingSheet.objects.filter(pk=late.pk).update(independent=True, independence_reasons=[])
    recompute_lot_score(lot.pk)
    assert lot_score(api, roaster, lot) == ("82.50", "sca2004")


def test_a_switched_off_grader_account_stops_counting(
    api, q_grader, second_grader, roaster, lot, submit, django_capture_on_commit_callbacks
):
    submit(q_grader, lot)
    submit(second_grader, lot, overall=D("9.50"))
    second_grader.is_active = False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second_grader.save(update_fields=["is_active"])
    assert [cb.__qualname__ for cb in callbacks].count(f"{reassess_grader_sheets.name}.delay") == 1
    reassess_grader_sheets(second_grader.pk)
    assert lot_score(api, roaster, lot) == ("82.50", "sca2004")
    assert CuppingSheet.objects.get(grader=second_grader).independence_reasons == [services.ACCOUNT_INACTIVE]


# --- 3. Preview, then confirm ---------------------------------------------------------------------


def test_the_preview_shows_rows_per_lot_and_the_graders_sheets_of_the_same_harvest(
    api, producer, q_grader, second_grader, submit, django_capture_on_commit_callbacks
):
    lot_a = factories.LotFactory(producer=producer, harvest_year=2024)
    old = submit(q_grader, lot_a, overall=D("6.00"))  # harvest 2024
    lot_a.harvest_year = 2025
    lot_a.save(update_fields=["harvest_year"])
    mine = submit(q_grader, lot_a)  # harvest 2025: 82.50
    submit(second_grader, lot_a, overall=D("9.50"))  # 84.50
    lot_b = factories.LotFactory(producer=producer)
    text = make_csv([sca_row(lot_a, score="8.00"), cva_row(lot_a), sca_row(lot_b)])
    job_id, job = api_import(api(q_grader), text, django_capture_on_commit_callbacks)
    assert job["status"] == "previewed" and job["confirmed"] is False
    preview = job["preview"]
    assert preview["rows"] == 3 and [item["lot"] for item in preview["lots"]] == [lot_a.pk, lot_b.pk]
    a, b = preview["lots"]
    assert (a["row_count"], a["by_protocol"], a["harvest_year"]) == (2, {"sca2004": 1, "cva": 1}, 2025)
    assert [(r["row"], r["label"], r["counts"]) for r in a["rows"]] == [(2, "SCA 86.00", True), (3, "CVA 89.50", True)]
    # The grader's own sheets of this harvest that the import adds to (not last harvest's).
    assert [e["sheet"] for e in a["existing"]] == [mine.pk] and old.pk not in [e["sheet"] for e in a["existing"]]
    assert a["official_before"] == {"sca2004": {"value": "83.50", "graders": 2}}
    # The grader's new sheet replaces their earlier one; CVA appears on its own scale.
    assert a["official_after"] == {
        "sca2004": {"value": "85.25", "graders": 2},
        "cva": {"value": "89.50", "graders": 1},
    }
    assert (b["row_count"], b["existing"], b["official_before"]) == (1, [], {})
    assert not CuppingSheet.objects.filter(import_job=job_id).exists()
    done = api_confirm(api(q_grader), job_id, django_capture_on_commit_callbacks)
    assert (done["status"], done["created"]) == ("succeeded", 3)
    lot_a.refresh_from_db()
    assert (str(lot_a.official_score), lot_a.official_score_protocol) == ("85.25", "sca2004")
    actions = list(AuditEvent.objects.filter(target_id=job_id).order_by("id").values_list("action", flat=True))
    assert actions == [
        "cupping.import_started",
        "cupping.import_previewed",
        "cupping.import_confirmed",
        "cupping.import_applied",
    ]
    assert AuditEvent.objects.filter(action="cupping.sheet_submitted").count() == 3 + 3  # 3 typed, 3 imported


def test_a_preview_that_no_longer_holds_at_confirmation_writes_nothing(
    api, q_grader, lot, django_capture_on_commit_callbacks
):
    client = api(q_grader)
    job_id, job = api_import(client, make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    assert job["preview"]["lots"][0]["existing"] == []
    # Meanwhile the grader's sheets of this lot change: the preview shown is no longer the truth.
    body = {**sca_row(lot), "independent": True, "notes": "typed"}
    body = {k: v for k, v in body.items() if v != "" and k != "grader"}
    assert client.post("/api/v1/cupping-sheets/", body, format="json").status_code == 201
    done = api_confirm(client, job_id, django_capture_on_commit_callbacks)
    assert done["status"] == "failed" and "changed since your preview" in done["message"]
    assert not CuppingSheet.objects.filter(import_job=job_id).exists()


def test_a_lot_closed_between_preview_and_confirmation_writes_nothing(
    api, q_grader, lot, django_capture_on_commit_callbacks
):
    client = api(q_grader)
    job_id, _ = api_import(client, make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    type(lot).objects.filter(pk=lot.pk).update(status="withdrawn")
    done = api_confirm(client, job_id, django_capture_on_commit_callbacks)
    assert done["status"] == "failed" and done["errors"][0]["column"] == "lot"
    assert not CuppingSheet.objects.exists()


def test_only_the_uploader_answers_the_preview(
    api, q_grader, second_grader, moderator, producer, lot, django_capture_on_commit_callbacks
):
    job_id, _ = api_import(api(q_grader), make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    assert api(second_grader).post(f"{IMPORTS}{job_id}/confirm/").status_code == 404
    assert api(second_grader).get(f"{IMPORTS}{job_id}/").status_code == 404
    assert api(moderator).post(f"{IMPORTS}{job_id}/confirm/").status_code == 403
    assert api(producer).post(f"{IMPORTS}{job_id}/confirm/").status_code == 403
    assert api(None).post(f"{IMPORTS}{job_id}/confirm/").status_code in (401, 403)
    assert Job.objects.get(pk=job_id).status == "previewed"
    cancelled = api(q_grader).post(f"{IMPORTS}{job_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "failed"
    assert "cancelled" in cancelled.json()["message"]
    assert api(q_grader).post(f"{IMPORTS}{job_id}/confirm/").status_code == 409
    assert not CuppingSheet.objects.exists()


def test_an_unconfirmed_preview_expires_and_cannot_be_confirmed_later(
    api, q_grader, lot, settings, django_capture_on_commit_callbacks
):
    settings.CUPPING_IMPORT_PREVIEW_HOURS = 24
    job_id, _ = api_import(api(q_grader), make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job_id).update(updated_at=timezone.now() - datetime.timedelta(hours=25))
    assert api(q_grader).post(f"{IMPORTS}{job_id}/confirm/").status_code == 409  # expired
    cupping_imports_resume()
    job = api(q_grader).get(f"{IMPORTS}{job_id}/").json()
    assert job["status"] == "failed" and "not confirmed within 24 hours" in job["message"]


def test_the_import_page_previews_and_imports_only_after_the_confirm_button(
    q_grader, q_grader_client, lot, submit, django_capture_on_commit_callbacks
):
    earlier = submit(q_grader, lot)
    text = make_csv([sca_row(lot, score="8.00"), cva_row(lot)])
    with django_capture_on_commit_callbacks(execute=False):
        res = q_grader_client.post(reverse("cupping:import"), {"file": SimpleUploadedFile("s.csv", text.encode())})
    assert res.status_code == 200
    job = Job.objects.get()
    run_cupping_import(str(job.pk))
    page = q_grader_client.get(reverse("cupping:import_job", args=[job.pk])).content.decode()
    assert 'data-status="previewed"' in page and "hx-trigger" not in page  # waits for the grader
    assert "nothing is imported until you confirm" in page
    assert f'id="preview-lot-{lot.pk}"' in page and "SCA 86.00" in page and "CVA 89.50" in page
    assert reverse("cupping:sheet", args=[earlier.pk]) in page  # the sheet this import adds to
    assert "Confirm and import 2 sheets" in page
    assert CuppingSheet.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=False):
        res = q_grader_client.post(reverse("cupping:import_confirm", args=[job.pk]))
    assert res.status_code == 302 and res["Location"] == reverse("cupping:import_job", args=[job.pk])
    polling = q_grader_client.get(res["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in polling  # the progress bar runs again while it imports
    run_cupping_import(str(job.pk))
    page = q_grader_client.get(res["Location"]).content.decode()
    assert 'data-status="succeeded"' in page and "2 sheets imported" in page
    assert CuppingSheet.objects.filter(import_job=job.pk).count() == 2


def test_another_grader_cannot_open_or_confirm_someone_elses_import_page(
    q_grader, lot, django_capture_on_commit_callbacks
):
    from django.test import Client

    job = imports.cupping_import_start(by=q_grader, data=make_csv([sca_row(lot)]).encode())
    run_cupping_import(str(job.pk))
    other = Client()
    other.force_login(factories.QGraderFactory(), backend="accounts.backends.EmailBackend")
    assert other.get(reverse("cupping:import_job", args=[job.pk])).status_code == 404
    assert other.post(reverse("cupping:import_confirm", args=[job.pk])).status_code == 404
    assert Job.objects.get(pk=job.pk).status == "previewed"


# --- 4. Every import job ends done or failed, with a reason ---------------------------------------


def arabic_indic(number: int) -> str:
    return "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in str(number))


POISON = [
    ("lot", "²", "lot"),
    ("lot", "½", "lot"),
    ("lot", "ARABIC", "lot"),  # the fixture lot's own number in Arabic-Indic digits
    ("lot", "999999999999", "lot"),  # beyond a 32-bit id
    ("flavor", "²", "flavor"),
    ("flavor", "½", "flavor"),
    ("flavor", "١٢", "flavor"),
    ("flavor", "٧.٥", "flavor"),
    ("flavor", "1e999999999", "flavor"),
    ("flavor", "NaN", "flavor"),
    ("flavor", "-Infinity", "flavor"),
    ("flavor", "9" * 150, "flavor"),
    ("uniform_cups", "²", "uniform_cups"),
    ("uniform_cups", "١", "uniform_cups"),
    ("cupped_on", "٢٠٢٥-١١-٠١", "cupped_on"),
    ("cupped_on", "²⁰²⁵-11-01", "cupped_on"),
    ("independent", "²", "independent"),
    ("notes", "x" * 6000, "notes"),
    ("grader", "é" * 300, "grader"),
]


@pytest.mark.parametrize(("column", "cell", "reported"), POISON, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(POISON)])
def test_an_odd_cell_fails_the_job_with_a_row_error_instead_of_leaving_it_running(
    api, q_grader, lot, column, cell, reported, django_capture_on_commit_callbacks
):
    if cell == "ARABIC":
        cell = arabic_indic(lot.pk)  # Decimal() and int() would read it as this very lot
    row = sca_row(lot) | {column: cell}
    _, job = api_import(api(q_grader), make_csv([row]), django_capture_on_commit_callbacks)
    assert job["status"] == "failed", job
    assert (2, reported) in {(e["row"], e["column"]) for e in job["errors"]}
    assert all(e["message"] for e in job["errors"]) and job["message"]
    assert not CuppingSheet.objects.exists()


def test_a_cell_larger_than_the_csv_modules_field_limit_fails_cleanly(
    api, q_grader, lot, django_capture_on_commit_callbacks
):
    _, job = api_import(
        api(q_grader), make_csv([sca_row(lot, notes="n" * 200_000)]), django_capture_on_commit_callbacks
    )
    assert job["status"] == "failed"
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(2, "")]
    assert job["errors"][0]["message"] == "A cell on this line is longer than 131072 characters."


def test_nul_bytes_and_broken_utf8_are_refused_with_a_clear_message_and_no_job(api, q_grader_client, q_grader, lot):
    text = make_csv([sca_row(lot)])
    res = api(q_grader).post(IMPORTS, {"csv": text.replace("yes", "y\x00es")}, format="json")
    assert res.status_code == 400 and "NUL bytes" in json.dumps(res.json())
    page = q_grader_client.post(
        reverse("cupping:import"), {"file": SimpleUploadedFile("s.csv", text.encode() + b"\xc3\x28 broken")}
    )
    assert page.status_code == 400 and "not UTF-8 text (byte" in page.content.decode()
    spreadsheet = q_grader_client.post(
        reverse("cupping:import"), {"file": SimpleUploadedFile("s.xlsx", b"PK\x03\x04\x00\x00rest")}
    )
    assert spreadsheet.status_code == 400 and "NUL bytes" in spreadsheet.content.decode()
    surrogate = api(q_grader).post(IMPORTS, data='{"csv": "lot\\ud800,x"}', content_type="application/json")
    assert surrogate.status_code == 400 and "Surrogate characters are not allowed" in json.dumps(surrogate.json())
    assert not Job.objects.exists()


def test_an_unexpected_error_fails_the_job_with_a_reason(
    api, q_grader, lot, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("boom")

    client = api(q_grader)
    monkeypatch.setattr(imports, "sheet_build", broken)
    _, job = api_import(client, make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and "unexpected problem (RuntimeError)" in job["message"]
    monkeypatch.undo()
    # The same while writing: nothing half-written.
    job_id, job = api_import(client, make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    monkeypatch.setattr(imports, "lot_score_recompute", lambda **kw: (_ for _ in ()).throw(KeyError("x")))
    done = api_confirm(client, job_id, django_capture_on_commit_callbacks)
    assert done["status"] == "failed" and "unexpected problem (KeyError)" in done["message"]
    assert not CuppingSheet.objects.exists()


def test_an_import_that_overruns_its_time_limit_fails_with_a_reason(
    q_grader, lot, monkeypatch, django_capture_on_commit_callbacks
):
    from celery.exceptions import SoftTimeLimitExceeded

    job = imports.cupping_import_start(by=q_grader, data=make_csv([sca_row(lot)]).encode())

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(imports, "import_validate", slow)
    assert run_cupping_import(str(job.pk)) == "crashed"
    job.refresh_from_db()
    assert job.status == "failed" and "longer than allowed" in job.message


def test_a_job_whose_worker_keeps_dying_is_failed_by_the_sweep_not_rerun_forever(q_grader, lot, monkeypatch):
    job = imports.cupping_import_start(by=q_grader, data=make_csv([sca_row(lot)]).encode())
    # Three runs were cut short (SIGKILL mid-run): the job says running, with no progress since.
    Job.objects.filter(pk=job.pk).update(
        status="running",
        params={**job.params, "runs": imports.MAX_RUNS},
        updated_at=timezone.now() - datetime.timedelta(hours=1),
    )
    ran: list[str] = []
    monkeypatch.setattr(run_cupping_import, "delay", lambda pk: ran.append(run_cupping_import(pk)))
    assert cupping_imports_resume() == 1
    assert ran == ["crashed"]
    job.refresh_from_db()
    assert job.status == "failed" and "interrupted 3 times" in job.message
    assert cupping_imports_resume() == 0  # a finished job is never picked again


cell_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    header=st.lists(st.sampled_from([*imports.IMPORT_COLUMNS, "", "?", "lot "]), min_size=1, max_size=8),
    rows=st.lists(st.lists(cell_text, max_size=9), max_size=4),
)
def test_whatever_the_file_holds_the_job_ends_previewed_or_failed_with_a_reason(q_grader, header, rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if not text.strip():
        return
    job = imports.cupping_import_start(by=q_grader, data=text)
    run_cupping_import(str(job.pk))
    job.refresh_from_db()
    assert job.status in {"previewed", "failed"}, (job.status, job.message)
    assert job.message
    if job.status == "failed":
        assert job.result.get("errors") or job.result == {}


# --- Races (PostgreSQL) -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_applying_one_confirmed_import_land_one_set_of_sheets(require_postgres, producer, monkeypatch):
    from tests.cupping.test_services import run_concurrently

    grader = factories.QGraderFactory()
    lots = [factories.LotFactory(producer=producer) for _ in range(2)]
    monkeypatch.setattr(run_cupping_import, "delay", lambda *a, **k: None)  # the test is the worker
    job = imports.cupping_import_start(
        by=grader, data=make_csv([sca_row(lots[0]), sca_row(lots[1]), cva_row(lots[0])]).encode()
    )
    assert run_cupping_import(str(job.pk)) == "previewed"
    imports.cupping_import_confirm(job_id=job.pk, by=grader)
    results = run_concurrently([lambda: run_cupping_import(str(job.pk))] * 3)
    assert all(r[0] == "ok" for r in results), results
    assert {r[1] for r in results} <= {"imported", "already-done"}
    job.refresh_from_db()
    assert (job.status, job.result["created"]) == ("succeeded", 3)
    assert CuppingSheet.objects.filter(import_job=job.pk).count() == CuppingSheet.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_confirm_racing_a_cancel_has_one_outcome(require_postgres, producer, monkeypatch):
    from tests.cupping.test_services import run_concurrently

    grader = factories.QGraderFactory()
    lot = factories.LotFactory(producer=producer)
    monkeypatch.setattr(run_cupping_import, "delay", lambda *a, **k: None)
    job = imports.cupping_import_start(by=grader, data=make_csv([sca_row(lot)]).encode())
    run_cupping_import(str(job.pk))
    results = run_concurrently(
        [
            lambda: imports.cupping_import_confirm(job_id=job.pk, by=grader).status,
            lambda: imports.cupping_import_cancel(job_id=job.pk, by=grader).status,
        ]
    )
    job.refresh_from_db()
    outcomes = sorted(r[1] for r in results)
    if job.status == "failed":  # the cancel won: the confirm found nothing to confirm
        assert outcomes == ["Conflict", "failed"] and not job.params["confirmed"]
    else:  # the confirm won: the cancel found nothing waiting
        assert (job.status, job.params["confirmed"]) == ("pending", True)
        assert outcomes == ["Conflict", "pending"]
