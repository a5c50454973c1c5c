"""Issue 13 "A badge over failing hallmarks": an approval over a failing hallmark needs a written
reason for each one, kept in the decision and the audit trail, and buyers read every hallmark."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.models import AuditEvent
from cupping.models import CuppingSheet
from lots.models import Lot
from marketplace.moderation import services
from marketplace.moderation.models import ClaimDecision, EvidenceChange, HallmarkResult, MicroLotClaim
from marketplace.pricing.models import LotPremium
from tests.moderation.builders import genuine_lot

pytestmark = pytest.mark.django_db

D = Decimal
STATEMENT = "Picked from the top terrace on two days and processed apart at every stage."
SCORE_REASON = "The jury's CoE sheets for this harvest score 88; the 78.50 sheet was a faulty sample roast."
PREMIUM_REASON = "A verified competition result explains the price: Best of Huila 2025, rank 2."


def decision_url(claim: Any) -> str:
    return f"/api/v1/claims/{claim.pk}/decision/"


def failing_claim(producer: Any, grader: Any, *, score: str = "78.50", premium_flag: bool = False) -> MicroLotClaim:
    """A genuine lot whose only independent sheet scores under 80 (and, if asked, a price over 10×)."""
    lot = genuine_lot(producer, grader)
    CuppingSheet.objects.filter(lot=lot).update(final_score=D(score), total=D(score))
    if premium_flag:
        LotPremium.objects.filter(lot=lot).update(premium_ratio=D("14"), flag_over_10x=True)
    claim = services.claim_submit(lot=lot, by=producer, kind="micro", isolation="geographic", statement=STATEMENT)
    services.claim_recompute(claim_id=claim.pk)
    claim.refresh_from_db()
    return claim


@pytest.fixture
def score_fails(producer: Any, q_grader: Any, no_broker: list[int]) -> MicroLotClaim:
    return failing_claim(producer, q_grader)


def test_approving_over_a_failing_hallmark_without_a_reason_is_refused_through_the_api(api, moderator, score_fails):
    response = api(moderator).post(
        decision_url(score_fails), {"decision": "approve", "reason": "Looks great."}, format="json"
    )
    assert response.status_code == 400, response.data
    message = response.data["extra"]["fields"]["overrides"][0]
    assert "Missing: Score (score)" in message
    claim = MicroLotClaim.objects.get(pk=score_fails.pk)
    assert claim.status == "pending"
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == ""
    assert not ClaimDecision.objects.filter(claim=claim).exists()


def test_the_refusal_names_every_failing_hallmark_still_missing_a_reason(api, moderator, producer, q_grader, no_broker):
    claim = failing_claim(producer, q_grader, premium_flag=True)
    response = api(moderator).post(
        decision_url(claim),
        {"decision": "approve", "reason": "Looks great.", "overrides": {"score": SCORE_REASON}},
        format="json",
    )
    assert response.status_code == 400
    message = response.data["extra"]["fields"]["overrides"][0]
    assert "Premium (premium)" in message and "Score" not in message


def test_an_approval_with_a_reason_per_failing_hallmark_grants_the_badge_and_is_audited(api, moderator, score_fails):
    response = api(moderator).post(
        decision_url(score_fails),
        {"decision": "approve", "reason": "Verified with the jury.", "overrides": {"score": SCORE_REASON}},
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["verified_badge"] == "micro"
    assert response.data["decisions"][-1]["overrides"] == {"score": SCORE_REASON}
    decision = ClaimDecision.objects.get(claim=score_fails)
    assert decision.overrides == {"score": SCORE_REASON}
    assert decision.hallmarks["score"]["result"] == "fail"
    event = AuditEvent.objects.get(action="claim.approve", target_id=str(score_fails.pk))
    assert event.data["overrides"] == {"score": SCORE_REASON}
    assert event.data["hallmarks"]["score"] == "fail"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"score": "ok"}, "at least 10 characters"),
        ({"score": SCORE_REASON, "volume": "The volume is fine anyway, trust me."}, "these do not fail: Volume"),
        ({"score": SCORE_REASON, "taste": "Tastes like a genuine micro-lot."}, "Unknown hallmark(s): taste"),
        ("just approve", "Expected a dictionary"),
    ],
)
def test_bad_overrides_are_refused_with_a_clear_message(api, moderator, score_fails, overrides, expected):
    response = api(moderator).post(
        decision_url(score_fails),
        {"decision": "approve", "reason": "Verified with the jury.", "overrides": overrides},
        format="json",
    )
    assert response.status_code == 400
    assert expected in str(response.data["extra"]["fields"]), response.data
    assert MicroLotClaim.objects.get(pk=score_fails.pk).status == "pending"


def test_overrides_belong_only_to_an_approval(api, moderator, score_fails):
    response = api(moderator).post(
        decision_url(score_fails),
        {"decision": "reject", "reason": "The score is too low.", "overrides": {"score": SCORE_REASON}},
        format="json",
    )
    assert response.status_code == 400 and "Only an approval" in str(response.data["extra"]["fields"])


def test_a_rejection_needs_no_override(api, moderator, score_fails):
    response = api(moderator).post(
        decision_url(score_fails), {"decision": "reject", "reason": "Under 80 points."}, format="json"
    )
    assert response.status_code == 200 and response.data["status"] == "rejected"


def test_the_approval_is_judged_on_hallmarks_computed_when_deciding_not_on_stored_ones(
    api, moderator, producer, q_grader, no_broker
):
    lot = genuine_lot(producer, q_grader)
    claim = services.claim_submit(lot=lot, by=producer, kind="micro", isolation="geographic", statement=STATEMENT)
    services.claim_recompute(claim_id=claim.pk)
    assert HallmarkResult.objects.get(claim=claim, key="score").result == "pass"
    # The sheet changes behind the stored results' back (no evidence signal).
    CuppingSheet.objects.filter(lot=lot).update(final_score=D("70"))
    response = api(moderator).post(decision_url(claim), {"decision": "approve", "reason": "All pass."}, format="json")
    assert response.status_code == 400 and "Score (score)" in response.data["extra"]["fields"]["overrides"][0]
    # The fresh results were saved, so the moderator now sees what fails.
    assert HallmarkResult.objects.get(claim=claim, key="score").result == "fail"


def test_the_decision_page_asks_for_a_reason_per_failing_hallmark(moderator_client, score_fails):
    url = reverse("moderation:claim", args=[score_fails.pk])
    body = moderator_client.get(url).content.decode()
    assert 'name="override_score"' in body and 'name="override_volume"' not in body
    decide = reverse("moderation:decide", args=[score_fails.pk])
    response = moderator_client.post(decide, {"decision": "approve", "reason": "Looks great to me."})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Missing: Score (score)" in body
    assert "Write why you approve despite this failing hallmark." in body
    assert MicroLotClaim.objects.get(pk=score_fails.pk).status == "pending"
    response = moderator_client.post(
        decide, {"decision": "approve", "reason": "Verified with the jury.", "override_score": SCORE_REASON}
    )
    assert response.status_code == 302
    assert ClaimDecision.objects.get(claim=score_fails).overrides == {"score": SCORE_REASON}
    body = moderator_client.get(url).content.decode()
    assert escape(f"Approved despite: Score, because {SCORE_REASON}") in body


def test_the_override_fields_are_ignored_when_rejecting_from_the_page(moderator_client, score_fails):
    response = moderator_client.post(
        reverse("moderation:decide", args=[score_fails.pk]),
        {"decision": "reject", "reason": "Under 80 points.", "override_score": "Typed before choosing reject."},
    )
    assert response.status_code == 302
    assert ClaimDecision.objects.get(claim=score_fails).overrides == {}


def test_buyers_read_every_hallmark_of_a_verified_lot_including_the_overridden_one(
    anon_client, api, roaster, moderator, score_fails
):
    services.claim_decide(
        claim=score_fails,
        by=moderator,
        decision="approve",
        reason="Verified with the jury.",
        overrides={"score": SCORE_REASON},
    )
    body = anon_client.get(reverse("lots:detail", args=[score_fails.lot_id])).content.decode()
    assert 'id="verified-badge"' in body
    for key in ("provenance", "volume", "separation", "score", "premium", "documentation", "integrity", "disclosure"):
        assert f'id="public-hallmark-{key}"' in body
    assert 'id="public-hallmark-score" data-result="fail"' in body
    assert escape(f"Approved despite: Score, because {SCORE_REASON}") in body
    assert "SCA 78.50" in body

    data = api(roaster).get(f"/api/v1/lots/{score_fails.lot_id}/verification/").data
    assert data["verified_badge"] == "micro" and data["claim"] == score_fails.pk
    by_key = {h["key"]: h for h in data["hallmarks"]}
    assert len(by_key) == 8
    assert by_key["score"]["result"] == "fail" and by_key["score"]["approved_despite"] == SCORE_REASON
    assert "SCA 78.50" in by_key["score"]["reason"]
    assert by_key["volume"]["result"] == "pass" and by_key["volume"]["approved_despite"] is None


def test_an_unverified_lot_shows_no_hallmarks_to_buyers(anon_client, api, roaster, score_fails):
    data = api(roaster).get(f"/api/v1/lots/{score_fails.lot_id}/verification/").data
    empty = {"verified_badge": None, "claim": None, "approved_at": None, "hallmarks": []}
    assert data == {"lot": score_fails.lot_id, **empty}
    body = anon_client.get(reverse("lots:detail", args=[score_fails.lot_id])).content.decode()
    assert 'id="public-hallmarks"' not in body


def test_a_draft_lots_verification_is_not_found_for_outsiders(api, outsider, producer, no_broker):
    from tests import factories

    draft = factories.LotFactory(producer=producer, status="draft")
    assert api(outsider).get(f"/api/v1/lots/{draft.pk}/verification/").status_code == 404


def test_a_verified_lot_whose_premium_now_fails_is_reopened_when_its_hallmarks_are_recomputed(
    moderator_client, anon_client, moderator, producer, q_grader, no_broker
):
    lot = genuine_lot(producer, q_grader)
    claim = services.claim_submit(lot=lot, by=producer, kind="micro", isolation="geographic", statement=STATEMENT)
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    assert Lot.objects.get(pk=lot.pk).verified_badge == "micro"
    # A new baseline puts the price over 10× (the pricing app's recompute, not an evidence change).
    LotPremium.objects.filter(lot=lot).update(premium_ratio=D("14"), flag_over_10x=True)
    response = moderator_client.post(reverse("moderation:recompute", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "pending" and claim.reopened_count == 1
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""
    change = EvidenceChange.objects.get(claim=claim, kind="hallmarks")
    assert change.reopened and "premium" in change.detail
    assert AuditEvent.objects.filter(action="claim.reopened", target_id=str(claim.pk)).exists()
    body = anon_client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert 'id="verified-badge"' not in body


def test_an_overridden_failure_that_still_fails_keeps_the_badge_on_recompute(moderator, score_fails):
    services.claim_decide(
        claim=score_fails, by=moderator, decision="approve", reason="With the jury.", overrides={"score": SCORE_REASON}
    )
    assert services.claim_recompute(claim_id=score_fails.pk) == "computed"
    assert MicroLotClaim.objects.get(pk=score_fails.pk).status == "approved"
    assert Lot.objects.get(pk=score_fails.lot_id).verified_badge == "micro"
