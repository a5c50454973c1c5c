"""REST API: GET/POST /api/v1/lots/{id}/claim/, POST /api/v1/claims/{id}/decision/, reply, list."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from lots.models import Lot
from marketplace.moderation.models import MicroLotClaim

pytestmark = pytest.mark.django_db

KEYS = ["provenance", "volume", "separation", "score", "premium", "documentation", "integrity", "disclosure"]
BODY = {"kind": "micro", "isolation": "geographic", "statement": "Top terrace, picked twice, processed apart."}


def claim_url(lot_id: int) -> str:
    return f"/api/v1/lots/{lot_id}/claim/"


def test_the_producer_submits_and_reads_the_claim_with_its_hallmarks(api, producer, lot, no_broker):
    client = api(producer)
    response = client.post(claim_url(lot.pk), BODY, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "pending"
    response = client.get(claim_url(lot.pk))
    assert response.status_code == 200
    # Opening a stale claim computes its hallmarks on demand.
    assert [h["key"] for h in response.data["hallmarks"]] == KEYS
    assert {h["result"] for h in response.data["hallmarks"]} == {"pass"}
    assert all(set(h) >= {"key", "result", "reason"} for h in response.data["hallmarks"])


def test_a_second_claim_on_the_same_lot_is_a_conflict(api, producer, claim):
    response = api(producer).post(claim_url(claim.lot_id), BODY, format="json")
    assert response.status_code == 409 and "message" in response.data


def test_a_bad_claim_body_is_refused_with_field_errors(api, producer, lot):
    response = api(producer).post(claim_url(lot.pk), {"kind": "mega", "statement": ""}, format="json")
    assert response.status_code == 400
    assert set(response.data["extra"]["fields"]) >= {"kind", "isolation", "statement"}
    assert not MicroLotClaim.objects.exists()


def test_the_moderator_decides_through_the_api_and_the_badge_appears(api, moderator, claim):
    response = api(moderator).post(
        f"/api/v1/claims/{claim.pk}/decision/", {"decision": "approve", "reason": "All hallmarks pass."}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["status"] == "approved" and response.data["verified_badge"] == "micro"
    assert response.data["decisions"][0]["reason"] == "All hallmarks pass."
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == "micro"
    assert AuditEvent.objects.filter(action="claim.approve", actor=moderator).count() == 1


def test_a_decision_needs_a_reason(api, moderator, claim):
    response = api(moderator).post(f"/api/v1/claims/{claim.pk}/decision/", {"decision": "reject"}, format="json")
    assert response.status_code == 400 and "reason" in response.data["extra"]["fields"]


@pytest.mark.parametrize("who", ["producer", "second_producer", "roaster", "q_grader", "outsider"])
def test_only_moderators_may_decide_through_the_api(api, claim, who, request):
    user = request.getfixturevalue(who)
    response = api(user).post(
        f"/api/v1/claims/{claim.pk}/decision/", {"decision": "approve", "reason": "Looks fine."}, format="json"
    )
    assert response.status_code == 403
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "pending"


def test_anonymous_callers_are_refused(api, claim):
    client = api(None)
    assert client.get(claim_url(claim.lot_id)).status_code in (401, 403)
    assert client.post(claim_url(claim.lot_id), BODY, format="json").status_code in (401, 403)
    assert client.get("/api/v1/claims/").status_code in (401, 403)
    response = client.post(f"/api/v1/claims/{claim.pk}/decision/", {"decision": "approve", "reason": "x" * 9})
    assert response.status_code in (401, 403)


def test_a_moderator_cannot_decide_a_claim_on_their_own_lot_through_the_api(api, moderator, q_grader, no_broker):
    from marketplace.moderation import services
    from tests.moderation.builders import genuine_lot

    lot = genuine_lot(moderator, q_grader)
    claim = services.claim_submit(lot=lot, by=moderator, kind="micro", isolation="geographic", statement="x" * 30)
    response = api(moderator).post(
        f"/api/v1/claims/{claim.pk}/decision/", {"decision": "approve", "reason": "My own."}, format="json"
    )
    assert response.status_code == 403


def test_producers_see_only_their_own_claims_through_the_api(api, second_producer, outsider, roaster, claim):
    assert api(second_producer).get(claim_url(claim.lot_id)).status_code == 404
    assert api(outsider).get(claim_url(claim.lot_id)).status_code == 403
    assert api(roaster).get(claim_url(claim.lot_id)).status_code == 403
    assert api(second_producer).get("/api/v1/claims/").data["count"] == 0
    assert api(outsider).get("/api/v1/claims/").status_code == 403
    assert api(second_producer).post(claim_url(claim.lot_id), BODY, format="json").status_code == 404


def test_the_claim_list_is_scoped_and_filterable(api, producer, moderator, claim):
    assert [c["id"] for c in api(producer).get("/api/v1/claims/").data["results"]] == [claim.pk]
    assert api(moderator).get("/api/v1/claims/?status=pending").data["count"] == 1
    assert api(moderator).get("/api/v1/claims/?status=approved").data["count"] == 0


def test_the_producer_answers_through_the_api(api, producer, second_producer, moderator, claim):
    api(moderator).post(
        f"/api/v1/claims/{claim.pk}/decision/", {"decision": "request_evidence", "reason": "Add photos."}, format="json"
    )
    assert (
        api(second_producer).post(f"/api/v1/claims/{claim.pk}/reply/", {"note": "hi"}, format="json").status_code == 404
    )
    response = api(producer).post(f"/api/v1/claims/{claim.pk}/reply/", {"note": "Photos added."}, format="json")
    assert response.status_code == 201 and response.data["status"] == "pending"
    assert response.data["replies"][0]["note"] == "Photos added."


def test_a_repeated_idempotency_key_replays_the_decision(api, moderator, claim):
    client = api(moderator)
    body = {"decision": "approve", "reason": "All hallmarks pass."}
    first = client.post(f"/api/v1/claims/{claim.pk}/decision/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post(f"/api/v1/claims/{claim.pk}/decision/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert claim.decisions.count() == 1


def test_the_schema_documents_the_claim_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/lots/{lot_id}/claim/" in schema["paths"]
    decision = schema["paths"]["/api/v1/claims/{id}/decision/"]["post"]
    assert "requestBody" in decision and "200" in decision["responses"]
    hallmarks = schema["components"]["schemas"]["Claim"]["properties"]["hallmarks"]
    assert hallmarks["items"]["$ref"].endswith("/Hallmark")


def test_the_badge_shows_in_the_lots_api_and_the_verified_filter_until_evidence_changes(api, roaster, moderator, claim):
    from core.signals import send_evidence_changed
    from tests import factories

    factories.LotFactory()  # an unverified lot that the verified-only filter must leave out
    lot_url = f"/api/v1/lots/{claim.lot_id}/"
    assert api(roaster).get(lot_url).data["verified"] is None
    api(moderator).post(
        f"/api/v1/claims/{claim.pk}/decision/", {"decision": "approve", "reason": "All hallmarks pass."}, format="json"
    )
    assert api(roaster).get(lot_url).data["verified"] == "micro"
    listed = api(roaster).get("/api/v1/lots/?verified=true").data
    assert [row["id"] for row in listed["results"]] == [claim.lot_id]
    send_evidence_changed(sender=Lot, lot_id=claim.lot_id, kind="price", detail="changed: price")
    assert api(roaster).get(lot_url).data["verified"] is None
    assert api(roaster).get("/api/v1/lots/?verified=true").data["count"] == 0
