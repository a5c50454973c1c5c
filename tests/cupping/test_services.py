"""Independence, official score, withdrawing, requests and signed originals through the services."""

from __future__ import annotations

import datetime
import io
import threading
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from PIL import Image

from core.errors import Conflict
from core.models import AuditEvent
from core.signals import evidence_changed
from cupping import services
from cupping.models import CuppingSheet, LotScore
from tests import factories
from tests.cupping.conftest import yesterday
from tests.security.hostile_files import clean_pdf

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_declared_verified_grader_makes_an_independent_sheet(q_grader, lot, submit):
    sheet = submit(q_grader, lot)
    assert sheet.independent is True
    assert sheet.final_score == D("82.50")
    assert sheet.form_version == "SCA-2004"
    assert sheet.harvest_year == lot.harvest_year
    assert AuditEvent.objects.filter(action="cupping.sheet_submitted", target_id=str(sheet.pk)).exists()


def test_an_affiliated_grader_does_not_count(q_grader, lot, submit):
    sheet = submit(q_grader, lot, independent=False)
    assert (sheet.independent, sheet.independence_reasons) == (False, [services.NOT_DECLARED])
    lot.refresh_from_db()
    assert lot.official_score is None


def test_a_licence_expired_on_the_cupping_date_does_not_count(q_grader, lot, submit):
    profile = q_grader.q_grader_profile
    profile.licence_expires_on = yesterday() - datetime.timedelta(days=1)
    profile.save()
    sheet = submit(q_grader, lot, cupped_on=yesterday())
    assert sheet.independence_reasons == [services.LICENCE_EXPIRED]
    # The same licence was valid on an earlier cupping date.
    earlier = submit(q_grader, lot, cupped_on=yesterday() - datetime.timedelta(days=5))
    assert earlier.independent


def test_an_unverified_licence_does_not_count(unverified_grader, lot, submit):
    assert submit(unverified_grader, lot).independence_reasons == [services.LICENCE_UNVERIFIED]


def test_a_producer_cupping_their_own_lot_does_not_count(q_grader, submit):
    own_lot = factories.LotFactory(producer=q_grader)
    sheet = submit(q_grader, own_lot)
    assert sheet.independence_reasons == [services.OWN_LOT]
    own_lot.refresh_from_db()
    assert own_lot.official_score is None


def test_only_q_graders_submit_sheets(producer, outsider, moderator, lot, submit):
    for user in (producer, outsider, moderator):
        with pytest.raises(PermissionDenied):
            submit(user, lot)
    assert not CuppingSheet.objects.exists()


def test_invalid_sheet_writes_nothing_and_names_each_field(q_grader, lot, submit):
    with pytest.raises(ValidationError) as exc:
        submit(q_grader, lot, flavor="5", uniform_cups=7, cupped_on=datetime.date(2999, 1, 1))
    assert set(exc.value.message_dict) == {"flavor", "uniform_cups", "cupped_on"}
    assert not CuppingSheet.objects.exists()
    assert not AuditEvent.objects.filter(action="cupping.sheet_submitted").exists()


def test_a_draft_lot_is_not_open_for_cupping_without_a_request(q_grader, producer, submit):
    draft = factories.LotFactory(producer=producer, status="draft", listed_at=None)
    with pytest.raises(ValidationError) as exc:
        submit(q_grader, draft)
    assert "lot" in exc.value.message_dict
    services.request_create(lot=draft, by=producer, grader=q_grader)
    assert submit(q_grader, draft).pk


def test_official_score_is_mean_graders_and_spread_per_protocol(q_grader, second_grader, third_grader, lot, submit):
    submit(q_grader, lot, overall=D("8.00"))  # 83.00
    submit(second_grader, lot)  # 82.50
    submit(third_grader, lot, "cva")  # all 7s: 0.65625 × 56 + 52.75 = 89.50
    scores = {s.protocol: s for s in LotScore.objects.filter(lot=lot)}
    assert (scores["sca2004"].mean, scores["sca2004"].graders, scores["sca2004"].spread) == (D("82.75"), 2, D("0.50"))
    assert (scores["cva"].mean, scores["cva"].graders, scores["cva"].spread) == (D("89.50"), 1, D("0.00"))
    assert scores["sca2004"].attribute_means["overall"] == "7.75"
    assert scores["sca2004"].attribute_means["uniformity"] == "10.00"
    lot.refresh_from_db()
    assert (lot.official_score, lot.official_score_protocol) == (D("82.75"), "sca2004")


def test_the_primary_score_is_sca2004_when_the_lot_has_one_whatever_the_grader_counts(
    q_grader, second_grader, lot, submit
):
    """Primary protocol order SCA 2004 → CVA → CoE (cupping.scoring.PRIMARY_ORDER)."""
    submit(q_grader, lot, "cva")
    lot.refresh_from_db()
    assert lot.official_score_protocol == "cva"
    submit(second_grader, lot)  # an SCA 2004 score now exists: it is the primary one
    lot.refresh_from_db()
    assert (lot.official_score, lot.official_score_protocol) == (D("82.50"), "sca2004")
    submit(second_grader, lot, "cva", overall=9)  # cva now has two graders: still SCA 2004
    lot.refresh_from_db()
    assert (lot.official_score, lot.official_score_protocol) == (D("82.50"), "sca2004")
    cva = LotScore.objects.get(lot=lot, protocol="cva")
    assert (cva.mean, cva.graders, cva.is_catalogue_score) == (D("90.13"), 2, False)  # 89.50 and 90.75


def test_a_grader_counts_once_with_their_latest_sheet(q_grader, lot, submit):
    submit(q_grader, lot, cupped_on=yesterday() - datetime.timedelta(days=3))
    submit(q_grader, lot, overall=D("9.50"))
    score = LotScore.objects.get(lot=lot, protocol="sca2004")
    assert (score.graders, score.mean) == (1, D("84.50"))


def test_only_the_lots_current_harvest_counts_and_a_new_harvest_rescores(
    q_grader, second_grader, lot, submit, django_capture_on_commit_callbacks
):
    from core.signals import send_evidence_changed
    from cupping.tasks import recompute_lot_score

    submit(q_grader, lot, overall=D("6.00"))
    lot.harvest_year = 2026
    lot.save(update_fields=["harvest_year"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_evidence_changed(sender=type(lot), lot_id=lot.pk, kind="harvest_year", detail="2025 → 2026")
    # The rescore is queued after commit, never run inline (other apps may queue their own work).
    # (Through the project's task class, which logs rather than raises if the broker is down.)
    assert [cb.__qualname__ for cb in callbacks].count(f"{recompute_lot_score.name}.delay") == 1
    assert recompute_lot_score(lot.pk) == "ok"
    lot.refresh_from_db()
    assert (lot.official_score, lot.official_score_protocol) == (None, "")  # last year's sheet no longer counts
    submit(second_grader, lot)
    score = LotScore.objects.get(lot=lot, protocol="sca2004")
    assert (score.harvest_year, score.graders, score.mean) == (2026, 1, D("82.50"))
    assert recompute_lot_score(lot.pk) == "ok"  # twice: same result
    assert LotScore.objects.get(lot=lot, protocol="sca2004").mean == D("82.50")


def test_withdrawing_a_sheet_recomputes_the_score(q_grader, second_grader, moderator, lot, submit):
    first = submit(q_grader, lot)
    submit(second_grader, lot, overall=D("9.50"))
    services.sheet_withdraw(sheet_id=first.pk, by=q_grader, reason="sample mix-up")
    lot.refresh_from_db()
    assert lot.official_score == D("84.50")
    with pytest.raises(ValidationError):
        services.sheet_withdraw(sheet_id=first.pk, by=q_grader, reason="  ")
    other = CuppingSheet.objects.exclude(pk=first.pk).get()
    services.sheet_withdraw(sheet_id=other.pk, by=moderator, reason="duplicate")
    lot.refresh_from_db()
    assert (lot.official_score, lot.official_score_protocol) == (None, "")
    assert not LotScore.objects.filter(lot=lot).exists()


def test_only_the_grader_or_a_moderator_withdraws(q_grader, second_grader, producer, lot, submit):
    sheet = submit(q_grader, lot)
    for user in (second_grader, producer):
        with pytest.raises(PermissionDenied):
            services.sheet_withdraw(sheet_id=sheet.pk, by=user, reason="no")
    sheet.refresh_from_db()
    assert sheet.status == "active"


def test_evidence_changed_is_sent_for_sheet_and_score(q_grader, lot, submit):
    seen: list[tuple[str, int]] = []

    def receiver(sender, lot_id, kind, detail, actor, **kwargs):
        seen.append((kind, lot_id))

    evidence_changed.connect(receiver)
    try:
        submit(q_grader, lot)
        submit(q_grader, lot)  # same score again: no second "score" event
    finally:
        evidence_changed.disconnect(receiver)
    assert seen == [("cupping_sheet", lot.pk), ("score", lot.pk), ("cupping_sheet", lot.pk)]


def test_green_grading_is_stored_with_its_verdict_and_evidence_signal(q_grader, lot):
    seen: list[str] = []
    evidence_changed.connect(recv := lambda sender, kind, **kw: seen.append(kind))
    try:
        report = services.grading_submit(
            grader=q_grader,
            lot=lot,
            graded_on=yesterday(),
            data={"defects": {"partial_black": 7}, "quakers": 1, "moisture_pct": "11.5", "water_activity": "0.6"},
        )
    finally:
        evidence_changed.disconnect(recv)
    assert (report.category2_defects, report.specialty, report.reasons) == (2, False, ["quakers"])
    assert seen == ["green_grading"]


# --- Requests ----------------------------------------------------------------------------------


def test_only_the_lot_producer_requests_cupping(second_producer, q_grader, lot):
    with pytest.raises(PermissionDenied):
        services.request_create(lot=lot, by=second_producer)


def test_a_named_grader_must_be_verified(producer, unverified_grader, lot):
    with pytest.raises(ValidationError) as exc:
        services.request_create(lot=lot, by=producer, grader=unverified_grader)
    assert "grader" in exc.value.message_dict


def test_a_named_request_is_completed_by_the_graders_sheet(producer, q_grader, lot, submit):
    req = services.request_create(lot=lot, by=producer, grader=q_grader)
    assert q_grader.notifications.filter(kind="cupping_request").count() == 1
    services.request_accept(request_id=req.pk, by=q_grader)
    sheet = submit(q_grader, lot)
    req.refresh_from_db()
    assert req.status == "completed"
    sheet.refresh_from_db()
    assert sheet.request_id == req.pk
    assert producer.notifications.filter(kind="cupping_sheet").count() == 1


def test_an_unverified_grader_cannot_take_open_requests(producer, unverified_grader, lot):
    req = services.request_create(lot=lot, by=producer)
    with pytest.raises(PermissionDenied):
        services.request_accept(request_id=req.pk, by=unverified_grader)


def test_a_request_named_for_someone_else_cannot_be_taken(producer, q_grader, second_grader, lot):
    req = services.request_create(lot=lot, by=producer, grader=q_grader)
    with pytest.raises(Conflict):
        services.request_accept(request_id=req.pk, by=second_grader)
    assert services.request_accept(request_id=req.pk, by=q_grader).status == "accepted"
    assert services.request_accept(request_id=req.pk, by=q_grader).status == "accepted"  # twice: harmless


def run_concurrently(fns):
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as e:
            results[i] = ("err", type(e).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_one_of_six_graders_racing_for_an_open_request_wins(require_postgres, producer, lot):
    graders = [factories.QGraderFactory() for _ in range(6)]
    req = services.request_create(lot=lot, by=producer)
    results = run_concurrently([partial(services.request_accept, request_id=req.pk, by=g) for g in graders])
    assert sorted(r[0] for r in results) == ["err"] * 5 + ["ok"]
    assert {r[1] for r in results if r[0] == "err"} == {"Conflict"}
    req.refresh_from_db()
    assert req.status == "accepted" and req.grader_id in {g.pk for g in graders}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sheets_leave_a_consistent_official_score(require_postgres, lot):
    graders = [factories.QGraderFactory() for _ in range(5)]
    scores = ["7.00", "7.25", "7.50", "7.75", "8.00"]
    from cupping.scoring import SCA2004
    from tests.cupping.conftest import sca_values

    fns = [
        partial(
            services.sheet_submit,
            grader=g,
            lot=lot,
            protocol=SCA2004,
            cupped_on=yesterday(),
            independent=True,
            values=sca_values(s),
        )
        for g, s in zip(graders, scores, strict=True)
    ]
    results = run_concurrently(fns)
    assert [r[0] for r in results] == ["ok"] * 5
    score = LotScore.objects.get(lot=lot, protocol="sca2004")
    assert (score.graders, score.mean, score.spread) == (5, D("82.50"), D("7.00"))
    lot.refresh_from_db()
    assert lot.official_score == D("82.50")


# --- Signed originals --------------------------------------------------------------------------


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


PDF = clean_pdf()  # a real one-page PDF: the upload check parses it


def test_an_image_original_is_sanitized_and_hashed(q_grader, lot, submit):
    import hashlib

    sheet = submit(q_grader, lot)
    sheet = services.sheet_attach_original(sheet_id=sheet.pk, by=q_grader, data=png_bytes(), filename="x.png")
    stored = sheet.original.open("rb").read()
    assert stored[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG
    assert sheet.original_sha256 == hashlib.sha256(stored).hexdigest()
    assert sheet.original_content_type == "image/jpeg"


def test_a_pdf_original_is_checked_by_its_bytes(q_grader, lot, submit):
    sheet = submit(q_grader, lot)
    sheet = services.sheet_attach_original(sheet_id=sheet.pk, by=q_grader, data=PDF, filename="sheet.pdf")
    assert sheet.original_content_type == "application/pdf"
    with pytest.raises(ValidationError):
        services.sheet_attach_original(
            sheet_id=sheet.pk, by=q_grader, data=PDF.replace(b"Catalog", b"Catalog /OpenAction"), filename="a.pdf"
        )
    with pytest.raises(ValidationError):
        services.sheet_attach_original(sheet_id=sheet.pk, by=q_grader, data=b"GIF89a<script>", filename="a.png")


def test_only_the_grader_attaches_the_original(q_grader, second_grader, lot, submit):
    sheet = submit(q_grader, lot)
    with pytest.raises(PermissionDenied):
        services.sheet_attach_original(sheet_id=sheet.pk, by=second_grader, data=PDF)


def test_a_sheet_completes_the_request_naming_its_grader_even_before_accepting(producer, q_grader, lot, submit):
    named = services.request_create(lot=lot, by=producer, grader=q_grader)
    open_to_all = services.request_create(lot=lot, by=producer)
    submit(q_grader, lot)
    named.refresh_from_db()
    open_to_all.refresh_from_db()
    assert (named.status, open_to_all.status) == ("completed", "open")


def test_a_completed_request_cannot_be_cancelled(producer, q_grader, lot, submit):
    req = services.request_create(lot=lot, by=producer, grader=q_grader)
    submit(q_grader, lot)
    with pytest.raises(Conflict):
        services.request_cancel(request_id=req.pk, by=producer)
