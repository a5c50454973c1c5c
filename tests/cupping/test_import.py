"""Bulk CSV import: per-row/column errors, preview then confirm, all-or-nothing, idempotent runs,
progress, a real worker."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from core.models import Job
from cupping import imports
from cupping.models import CuppingSheet, LotScore
from cupping.tasks import run_cupping_import
from tests import factories
from tests.cupping.conftest import yesterday

pytestmark = pytest.mark.django_db


def make_csv(rows: list[dict[str, object]], columns: tuple[str, ...] = imports.IMPORT_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def sca_row(lot, grader_email: str = "", score: str = "7.50", **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "lot": lot.pk,
        "grader": grader_email,
        "protocol": "sca2004",
        "cupped_on": yesterday().isoformat(),
        "independent": "yes",
        "uniform_cups": 5,
        "clean_cups": 5,
        "sweet_cups": 5,
        "taint_cups": 0,
        "fault_cups": 0,
        "notes": "",
    }
    row.update(
        dict.fromkeys(("fragrance_aroma", "flavor", "aftertaste", "acidity", "body", "balance", "overall"), score)
    )
    row.update(over)
    return row


def cva_row(lot, grader_email: str = "", h: int = 7, **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "lot": lot.pk,
        "grader": grader_email,
        "protocol": "cva",
        "cupped_on": yesterday().isoformat(),
        "independent": "yes",
        "non_uniform_cups": 0,
        "defective_cups": 0,
    }
    row.update(
        dict.fromkeys(("fragrance", "aroma", "flavor", "aftertaste", "acidity", "sweetness", "mouthfeel", "overall"), h)
    )
    row.update(over)
    return row


def coe_row(lot, score: str = "6.5", **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "lot": lot.pk,
        "protocol": "coe",
        "cupped_on": yesterday().isoformat(),
        "independent": "yes",
        "defect_cups": 0,
    }
    row.update(dict.fromkeys(("clean_cup", "sweetness", "acidity", "mouthfeel", "flavor", "aftertaste"), score))
    row.update({"balance": score, "overall": score})
    row.update(over)
    return row


def start(user, text: str, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = imports.cupping_import_start(by=user, data=text.encode())
    assert len(callbacks) == 1  # the task is enqueued once, after commit
    return job


def confirm(user, job: Job, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = imports.cupping_import_confirm(job_id=job.pk, by=user)
    assert len(callbacks) == 1
    return job


def check_then_import(user, text: str, django_capture_on_commit_callbacks) -> Job:
    """Upload, let the task check it, confirm the preview, let the task write it."""
    job = start(user, text, django_capture_on_commit_callbacks)
    assert run_cupping_import(str(job.pk)) == "previewed"
    confirm(user, job, django_capture_on_commit_callbacks)
    assert run_cupping_import(str(job.pk)) == "imported"
    job.refresh_from_db()
    return job


def test_a_valid_session_imports_every_row_for_many_lots_once_the_grader_confirms(
    q_grader, producer, django_capture_on_commit_callbacks
):
    lot_a, lot_b = factories.LotFactory(producer=producer), factories.LotFactory(producer=producer)
    text = make_csv([sca_row(lot_a), sca_row(lot_a, q_grader.email.upper(), score="8.00"), cva_row(lot_b)])
    job = start(q_grader, text, django_capture_on_commit_callbacks)
    assert run_cupping_import(str(job.pk)) == "previewed"
    job.refresh_from_db()
    assert job.status == "previewed" and not job.finished
    assert not CuppingSheet.objects.exists()  # nothing is written before the grader confirms
    assert run_cupping_import(str(job.pk)) == "awaiting-confirmation"  # a duplicate delivery waits too
    confirm(q_grader, job, django_capture_on_commit_callbacks)
    assert run_cupping_import(str(job.pk)) == "imported"
    job.refresh_from_db()
    assert (job.status, job.result["created"]) == ("succeeded", 3)
    sheets = CuppingSheet.objects.filter(import_job=job.pk)
    assert set(sheets.values_list("grader", flat=True)) == {q_grader.pk}
    assert set(sheets.values_list("entered_by", flat=True)) == {q_grader.pk}
    sca = LotScore.objects.get(lot=lot_a, protocol="sca2004")
    # One grader counts once, with their latest sheet (both cupped the same day: the later row).
    assert (str(sca.mean), sca.graders) == ("86.00", 1)
    assert LotScore.objects.get(lot=lot_b, protocol="cva").graders == 1


def test_errors_are_reported_per_row_and_column_and_nothing_is_imported(
    q_grader, producer, django_capture_on_commit_callbacks
):
    lot = factories.LotFactory(producer=producer)
    text = make_csv(
        [
            sca_row(lot),  # valid, but must not be imported because others fail
            sca_row(lot, flavor="5.5", uniform_cups="7"),
            cva_row(lot, aroma="12", fragrance_aroma="7.5"),
            {
                **sca_row(lot, "nobody@example.test"),
                "lot": 999999,
                "cupped_on": "28/11/2026",
                "independent": "maybe",
            },
            {**sca_row(lot), "protocol": "coe2"},
        ]
    )
    job = start(q_grader, text, django_capture_on_commit_callbacks)
    assert run_cupping_import(str(job.pk)) == "invalid"
    job.refresh_from_db()
    assert job.status == "failed"
    got = {(e["row"], e["column"]) for e in job.result["errors"]}
    assert got == {
        (3, "flavor"),
        (3, "uniform_cups"),
        (4, "aroma"),
        (4, "fragrance_aroma"),
        (5, "lot"),
        (5, "grader"),
        (5, "cupped_on"),
        (5, "independent"),
        (6, "protocol"),
    }
    assert not CuppingSheet.objects.exists()
    assert not LotScore.objects.exists()


def test_a_header_problem_is_reported_on_row_one(q_grader, django_capture_on_commit_callbacks):
    job = start(q_grader, "lot,protocol,colour,lot\n1,sca2004,red,1\n", django_capture_on_commit_callbacks)
    run_cupping_import(str(job.pk))
    job.refresh_from_db()
    assert {(e["row"], e["column"]) for e in job.result["errors"]} == {
        (1, "cupped_on"),
        (1, "independent"),
        (1, "colour"),
        (1, "lot"),  # a column named twice
    }


def test_running_the_same_import_twice_imports_once(q_grader, producer, django_capture_on_commit_callbacks):
    lot = factories.LotFactory(producer=producer)
    job = check_then_import(q_grader, make_csv([sca_row(lot)]), django_capture_on_commit_callbacks)
    assert run_cupping_import(str(job.pk)) == "already-done"
    # A crash after the commit but before the job was marked finished: the rerun must not duplicate.
    Job.objects.filter(pk=job.pk).update(status="running")
    assert run_cupping_import(str(job.pk)) == "imported"
    assert CuppingSheet.objects.count() == 1
    # Confirming again is harmless: nothing is enqueued, nothing changes.
    assert imports.cupping_import_confirm(job_id=job.pk, by=q_grader).params["confirmed"] is True
    assert CuppingSheet.objects.count() == 1


def test_only_q_graders_start_imports_and_empty_files_are_refused(producer, q_grader):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        imports.cupping_import_start(by=producer, data=b"lot\n")
    with pytest.raises(ValidationError):
        imports.cupping_import_start(by=q_grader, data=b"   ")
    with pytest.raises(ValidationError):
        imports.cupping_import_start(by=q_grader, data=b"\xff\xfe\x00bad")
    assert not Job.objects.exists()


def test_the_template_csv_imports_cleanly_once_the_lot_is_filled_in(
    q_grader, producer, django_capture_on_commit_callbacks
):
    lot = factories.LotFactory(producer=producer)
    text = imports.import_template_csv().replace("123,", f"{lot.pk},")
    check_then_import(q_grader, text, django_capture_on_commit_callbacks)
    assert sorted(CuppingSheet.objects.values_list("protocol", flat=True)) == ["coe", "cva", "sca2004"]


def test_progress_is_reported_while_rows_are_checked(
    q_grader, producer, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.CUPPING_IMPORT_PROGRESS_EVERY = 2
    lot = factories.LotFactory(producer=producer)
    seen: list[tuple[int, int | None]] = []
    real = imports.job_progress
    monkeypatch.setattr(
        imports, "job_progress", lambda **kw: (seen.append((kw["done"], kw.get("total"))), real(**kw))[1]
    )
    job = start(q_grader, make_csv([sca_row(lot)] * 5), django_capture_on_commit_callbacks)
    run_cupping_import(str(job.pk))
    assert seen == [(0, None), (2, 5), (4, 5)]
    job.refresh_from_db()
    assert (job.done, job.total, job.percent) == (5, 5, 100)


def test_the_progress_endpoint_shows_the_bar_and_the_errors(
    q_grader, q_grader_client, outsider_client, anon_client, producer, django_capture_on_commit_callbacks
):
    lot = factories.LotFactory(producer=producer)
    job = start(q_grader, make_csv([sca_row(lot, flavor="11")]), django_capture_on_commit_callbacks)
    url = reverse("cupping:import_job", args=[job.pk])
    pending = q_grader_client.get(url, HTTP_HX_REQUEST="true")
    assert pending.status_code == 200 and b'hx-trigger="every 1s"' in pending.content
    run_cupping_import(str(job.pk))
    done = q_grader_client.get(url, HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in done.content
    assert b"flavor" in done.content and b"between 6.00 and 10.00" in done.content
    assert outsider_client.get(url).status_code == 403
    assert anon_client.get(url).status_code == 302
    # The generic job page still shows a finished import.
    core = q_grader_client.get(reverse("job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b"between 6.00 and 10.00" in core.content
    api_url = reverse("cupping-import-job", args=[job.pk])
    body = q_grader_client.get(api_url).json()
    assert body["status"] == "failed" and body["errors"][0] == {
        "row": 2,
        "column": "flavor",
        "message": "Must be between 6.00 and 10.00.",
    }
    assert outsider_client.get(api_url).status_code == 404


def wait_for(predicate, timeout: float = 30.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.redis
def test_a_real_worker_runs_the_import_on_redis(celery_worker_on_redis, q_grader, producer):
    lot = factories.LotFactory(producer=producer)
    # Enqueued on commit by the service itself, as the page and the API do.
    job = imports.cupping_import_start(by=q_grader, data=make_csv([sca_row(lot), cva_row(lot)]).encode())
    assert wait_for(lambda: Job.objects.get(pk=job.pk).status == "previewed")
    assert not CuppingSheet.objects.exists()
    imports.cupping_import_confirm(job_id=job.pk, by=q_grader)
    assert wait_for(lambda: Job.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert (job.status, job.result["created"]) == ("succeeded", 2)
    lot.refresh_from_db()
    assert lot.official_score is not None
    # Delivered twice: the duplicate is a no-op. A second import queued behind it proves it ran.
    run_cupping_import.delay(str(job.pk))
    marker = imports.cupping_import_start(by=q_grader, data=make_csv([sca_row(lot, score="8.00")]).encode())
    assert wait_for(lambda: Job.objects.get(pk=marker.pk).status == "previewed")
    assert CuppingSheet.objects.filter(import_job=job.pk).count() == 2
    assert CuppingSheet.objects.count() == 2


def test_an_import_signals_each_lot_once_not_each_sheet(q_grader, producer, django_capture_on_commit_callbacks):
    from core.signals import evidence_changed

    lot_a, lot_b = factories.LotFactory(producer=producer), factories.LotFactory(producer=producer)
    job = start(q_grader, make_csv([sca_row(lot_a)] * 3 + [sca_row(lot_b)] * 2), django_capture_on_commit_callbacks)
    run_cupping_import(str(job.pk))
    confirm(q_grader, job, django_capture_on_commit_callbacks)
    seen: list[tuple[int, str, str]] = []

    def receiver(sender, lot_id, kind, detail, **kwargs):
        seen.append((lot_id, kind, detail))

    evidence_changed.connect(receiver)
    try:
        run_cupping_import(str(job.pk))
    finally:
        evidence_changed.disconnect(receiver)
    sheet_events = sorted((lot, detail) for lot, kind, detail in seen if kind == "cupping_sheet")
    assert sheet_events == [(lot_a.pk, "3 sheets imported"), (lot_b.pk, "2 sheets imported")]
    assert sorted(lot for lot, kind, _ in seen if kind == "score") == [lot_a.pk, lot_b.pk]
