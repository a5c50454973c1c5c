"""Competition results (DOMAIN.md §7): the producer records one, a moderator verifies or rejects it.

Pages, API and admin all go through ``marketplace.competitions.services``; every decision is
audited; a verified result is public evidence and tags the lot ``competition`` as provenance.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent, Notification
from lots.models import LotTag
from marketplace.competitions.models import CompetitionResult
from tests.factories import LotFactory
from tests.security.hostile_files import clean_pdf, html_disguised, pdf_with_javascript

pytestmark = pytest.mark.django_db

URL = "/api/v1/competitions/results/"
BEST_OF_PANAMA = {
    "competition": "best_of_panama",
    "name": "",
    "year": 2025,
    "category": "Geisha Washed",
    "rank": 1,
    "jury_score": "98.00",
    "jury_protocol": "sca2004",
    "url": "https://bestofpanama.org/results/2025/",
}


@pytest.fixture
def lot(producer: Any) -> Any:
    return LotFactory(producer=producer, weight_kg=Decimal("20"), price=Decimal("30204.0000"))


def record(api: Any, user: Any, lot: Any, **changes: Any) -> Any:
    return api(user).post(URL, {**BEST_OF_PANAMA, "lot": lot.pk, **changes}, format="json")


# --- recording ----------------------------------------------------------------------------------


def test_the_producer_records_a_result_through_the_api_and_it_waits_for_a_moderator(api, producer, lot):
    response = record(api, producer, lot)
    assert response.status_code == 201, response.data
    data = response.data
    assert data["status"] == "pending" and data["lot"] == lot.pk
    assert data["event"] == "Best of Panama 2025"
    assert data["title"] == "Best of Panama 2025 (Geisha Washed), rank 1, 98.00 on the SCA 2004 cupping form"
    event = AuditEvent.objects.get(action="competition.result_created")
    assert event.actor == producer and event.data["rank"] == 1 and event.data["jury_score"] == "98.00"
    assert not LotTag.objects.filter(lot=lot).exists()  # nothing counts until a moderator verifies


def test_the_producer_records_a_result_with_a_document_on_the_lot_page(producer_client, producer, lot):
    pdf = clean_pdf()
    response = producer_client.post(
        reverse("competitions:lot_results", args=[lot.pk]),
        {
            "competition": "coe",
            "name": "Cup of Excellence Colombia",
            "year": "2025",
            "rank": "4",
            "jury_score": "90.31",
            "jury_protocol": "coe",
            "document": SimpleUploadedFile("certificate.pdf", pdf, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    result = CompetitionResult.objects.get(lot=lot)
    assert result.document_sha256 == hashlib.sha256(pdf).hexdigest() and result.url == ""
    assert result.document_content_type == "application/pdf"
    page = producer_client.get(reverse("competitions:lot_results", args=[lot.pk])).content.decode()
    assert "Cup of Excellence Colombia 2025" in page and "Waiting for a moderator" in page
    download = producer_client.get(reverse("competitions:document", args=[result.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf
    assert download["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("data", "bad"),
    [
        (lambda c: c.update(jury_score="30.00", jury_protocol="coe"), "jury_score"),  # CoE form starts at 36
        (lambda c: c.update(jury_score="57.75", jury_protocol="cva"), "jury_score"),  # CVA starts at 58
        (lambda c: c.update(jury_score="90.125"), "jury_score"),
        (lambda c: c.update(year=2999), "year"),
        (lambda c: c.update(rank=0), "rank"),
        (lambda c: c.update(competition="regional", name=""), "name"),  # a regional contest must be named
        (lambda c: c.update(url=""), "url"),  # no link and no document: no evidence
        (lambda c: c.update(url="javascript:alert(1)"), "url"),
        (lambda c: c.update(jury_score=90.5), "jury_score"),  # a JSON number would lose precision
    ],
)
def test_bad_results_are_refused_with_the_field_named(api, producer, lot, data, bad):
    body = {**BEST_OF_PANAMA, "lot": lot.pk}
    data(body)
    response = api(producer).post(URL, body, format="json")
    assert response.status_code == 400, response.data
    assert bad in response.data["extra"]["fields"]
    assert not CompetitionResult.objects.exists()


@pytest.mark.parametrize("payload", [html_disguised, pdf_with_javascript])
def test_documents_go_through_the_upload_checks(api, producer, lot, payload):
    body = {**BEST_OF_PANAMA, "lot": lot.pk, "url": "", "document": SimpleUploadedFile("results.pdf", payload())}
    response = api(producer).post(URL, body, format="multipart")
    assert response.status_code == 400 and "document" in response.data["extra"]["fields"]
    assert not CompetitionResult.objects.exists()


def test_the_same_result_twice_is_refused(api, producer, lot):
    assert record(api, producer, lot).status_code == 201
    response = record(api, producer, lot)
    assert response.status_code == 400 and "competition" in response.data["extra"]["fields"]


@pytest.mark.parametrize("who", ["second_producer", "roaster", "q_grader", "moderator"])
def test_only_the_lots_producer_records_its_results(api, lot, who, request):
    response = record(api, request.getfixturevalue(who), lot)
    assert response.status_code in (403, 404)
    assert not CompetitionResult.objects.exists()


def test_another_producers_draft_is_not_found(api, second_producer, producer):
    draft = LotFactory(producer=producer, status="draft")
    assert record(api, second_producer, draft).status_code == 404


# --- deciding -----------------------------------------------------------------------------------


def test_a_moderator_verifies_audited_the_producer_is_told_and_the_lot_is_tagged(api, producer, moderator, lot):
    result_id = record(api, producer, lot).data["id"]
    response = api(moderator).post(f"{URL}{result_id}/verify/", {}, format="json")
    assert response.status_code == 200 and response.data["status"] == "verified"
    event = AuditEvent.objects.get(action="competition.result_verified")
    assert event.actor == moderator and event.data["from"] == "pending"
    assert Notification.objects.filter(recipient=producer, kind="competition_result_decided").count() == 1
    tag = LotTag.objects.get(lot=lot, tag="competition")
    assert tag.source == "competition_result"
    # Verifying again is a quiet no-op: no second audit row.
    assert api(moderator).post(f"{URL}{result_id}/verify/", {}, format="json").status_code == 200
    assert AuditEvent.objects.filter(action="competition.result_verified").count() == 1


def test_rejecting_needs_a_reason_and_removes_only_the_provenance_tag(api, producer, moderator, lot):
    result_id = record(api, producer, lot).data["id"]
    assert api(moderator).post(f"{URL}{result_id}/reject/", {}, format="json").status_code == 400
    api(moderator).post(f"{URL}{result_id}/verify/", {}, format="json")
    response = api(moderator).post(f"{URL}{result_id}/reject/", {"reason": "Not on the results page."}, format="json")
    assert response.status_code == 200 and response.data["decision_reason"] == "Not on the results page."
    assert not LotTag.objects.filter(lot=lot, tag="competition").exists()
    assert AuditEvent.objects.filter(action="competition.result_rejected", actor=moderator).count() == 1


def test_a_moderators_own_tag_survives_a_rejected_result(api, producer, moderator, lot):
    LotTag.objects.create(lot=lot, tag="competition")  # a person's tag (the admin inline's default)
    result_id = record(api, producer, lot).data["id"]
    api(moderator).post(f"{URL}{result_id}/verify/", {}, format="json")
    api(moderator).post(f"{URL}{result_id}/reject/", {"reason": "Wrong year."}, format="json")
    assert LotTag.objects.get(lot=lot, tag="competition").source == "moderator"


@pytest.mark.parametrize("who", ["producer", "second_producer", "roaster", "q_grader", "outsider"])
def test_only_moderators_decide(api, producer, lot, who, request):
    result_id = record(api, producer, lot).data["id"]
    response = api(request.getfixturevalue(who)).post(f"{URL}{result_id}/verify/", {}, format="json")
    assert response.status_code in (403, 404)
    assert CompetitionResult.objects.get(pk=result_id).status == "pending"


def test_the_moderator_queue_page_verifies_and_revokes(moderator_client, api, producer, lot):
    result_id = record(api, producer, lot).data["id"]
    page = moderator_client.get(reverse("competitions:queue"))
    assert page.status_code == 200 and f'id="pending-{result_id}"' in page.content.decode()
    response = moderator_client.post(reverse("competitions:decide", args=[result_id]), {"to": "verified"})
    assert response.status_code == 302
    assert CompetitionResult.objects.get(pk=result_id).status == "verified"
    moderator_client.post(reverse("competitions:decide", args=[result_id]), {"to": "rejected", "reason": "Duplicate."})
    assert CompetitionResult.objects.get(pk=result_id).status == "rejected"


@pytest.mark.parametrize("who", ["producer_client", "roaster_client", "q_grader_client"])
def test_the_queue_is_for_moderators_only(who, request):
    assert request.getfixturevalue(who).get(reverse("competitions:queue")).status_code == 403


def test_the_admin_verifies_through_the_audited_service(client, moderator, api, producer, lot):
    result_id = record(api, producer, lot).data["id"]
    moderator.is_superuser = True  # staff with the admin's permissions; the service still checks the role
    moderator.save(update_fields=["is_superuser"])
    client.force_login(moderator)
    response = client.post(
        reverse("admin:competitions_competitionresult_changelist"),
        {"action": "verify_selected", "_selected_action": [result_id]},
    )
    assert response.status_code == 302
    assert CompetitionResult.objects.get(pk=result_id).status == "verified"
    assert AuditEvent.objects.filter(action="competition.result_verified", actor=moderator).exists()
    page = client.get(reverse("admin:competitions_competitionresult_change", args=[result_id]))
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()  # read-only


# --- who sees what ------------------------------------------------------------------------------


def test_buyers_see_verified_results_only_and_the_document_once_verified(
    api, producer, moderator, roaster, lot, client
):
    pending = record(api, producer, lot, name="Pending contest", competition="national").data["id"]
    body = {**BEST_OF_PANAMA, "lot": lot.pk, "document": SimpleUploadedFile("r.pdf", clean_pdf())}
    verified = api(producer).post(URL, body, format="multipart").data["id"]
    api(moderator).post(f"{URL}{verified}/verify/", {}, format="json")
    listed = api(roaster).get(URL, {"lot": lot.pk}).data["results"]
    assert [r["id"] for r in listed] == [verified]
    assert api(roaster).get(f"{URL}{pending}/").status_code == 404
    assert {r["id"] for r in api(producer).get(URL, {"lot": lot.pk}).data["results"]} == {pending, verified}
    page = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert "Best of Panama 2025" in page and "Pending contest" not in page
    assert client.get(reverse("competitions:document", args=[verified])).status_code == 200
    assert client.get(reverse("competitions:document", args=[pending])).status_code == 404


def test_a_draft_lots_results_are_private(api, producer, roaster):
    draft = LotFactory(producer=producer, status="draft")
    result_id = record(api, producer, draft).data["id"]
    CompetitionResult.objects.filter(pk=result_id).update(status="verified")
    assert api(roaster).get(URL, {"lot": draft.pk}).data["results"] == []
    assert api(None).get(reverse("competitions:lot_results", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize(
    ("language", "expected"), [("es", "Resultados de competencias"), ("pt", "Resultados de competições")]
)
def test_the_competition_pages_speak_spanish_and_portuguese(producer_client, lot, language, expected):
    producer_client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = producer_client.get(reverse("competitions:lot_results", args=[lot.pk])).content.decode()
    assert expected in page
