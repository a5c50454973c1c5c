"""Claims with real rows: hallmarks over the database, decisions, the badge, re-opening, the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict
from core.models import AuditEvent, Notification
from core.signals import send_evidence_changed
from lots.models import CustodyEvent, Lot
from marketplace.moderation import services
from marketplace.moderation.models import ClaimDecision, EvidenceChange, HallmarkResult, MicroLotClaim
from tests import factories
from tests.moderation.builders import WASHED_CHAIN, add_chain, add_sheet, genuine_lot

pytestmark = pytest.mark.django_db


KEYS = ("provenance", "volume", "separation", "score", "premium", "documentation", "integrity", "disclosure")


def results(claim) -> dict[str, str]:
    return dict(HallmarkResult.objects.filter(claim=claim).values_list("key", "result"))


def submit(lot, kind="micro"):
    return services.claim_submit(
        lot=lot, by=lot.producer, kind=kind, isolation="geographic", statement="Kept apart from picking to packing."
    )


def test_a_genuine_300_kg_washed_gesha_passes_every_hallmark_from_real_rows(claim):
    assert results(claim) == dict.fromkeys(KEYS, "pass")
    assert claim.fail_count == 0 and claim.warn_count == 0
    assert claim.hallmarks_computed_at is not None and claim.hallmarks_version == claim.evidence_version


def test_a_1500_kg_lot_fails_volume(producer, q_grader, no_broker):
    lot = genuine_lot(producer, q_grader, weight_kg=Decimal("1500"))
    claim = submit(lot)
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["volume"] == "fail"
    assert MicroLotClaim.objects.get(pk=claim.pk).fail_count >= 1


def test_a_lot_whose_packed_weight_exceeds_its_dried_weight_fails_separation(producer, q_grader, no_broker):
    lot = factories.LotFactory(producer=producer, official_score=Decimal("88"))
    add_chain(lot, [*WASHED_CHAIN[:5], ("packaging", "green", "green", "305", "420")])
    claim = submit(lot)
    services.claim_recompute(claim_id=claim.pk)
    reason = HallmarkResult.objects.get(claim=claim, key="separation").reason
    assert results(claim)["separation"] == "fail" and "packed weight" in reason


def test_a_lot_cupped_only_by_its_own_producer_fails_score(producer, no_broker):
    lot = factories.LotFactory(producer=producer)
    add_sheet(lot, producer, "92.00", independent=False)
    claim = submit(lot)
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["score"] == "fail"


def test_a_broken_chain_fails_integrity(claim, lot):
    # Tampering bypasses the append-only model, as a direct database edit would.
    CustodyEvent.objects.filter(lot=lot, seq=3).update(weight_out_kg=Decimal("700"))
    services.claim_recompute(claim_id=claim.pk)
    reason = HallmarkResult.objects.get(claim=claim, key="integrity").reason
    assert results(claim)["integrity"] == "fail" and "3" in reason


def test_an_infused_lot_that_is_disclosed_passes_disclosure(producer, q_grader, no_broker):
    lot = genuine_lot(producer, q_grader, additives="infused", additives_detail="cinnamon sticks")
    claim = submit(lot)
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["disclosure"] == "pass"


def test_recompute_is_idempotent(claim):
    first = list(HallmarkResult.objects.filter(claim=claim).values_list("pk", flat=True))
    assert services.claim_recompute(claim_id=claim.pk) == "computed"
    assert list(HallmarkResult.objects.filter(claim=claim).values_list("pk", flat=True)) == first


# --- submitting ---


def test_submitting_enqueues_a_recompute_after_commit(lot, no_broker):
    claim = submit(lot)
    assert no_broker == [claim.pk]
    assert AuditEvent.objects.filter(action="claim.submitted", target_id=str(claim.pk)).exists()


def test_only_the_owner_submits_and_only_once(lot, second_producer, no_broker):
    with pytest.raises(PermissionDenied):
        services.claim_submit(lot=lot, by=second_producer, kind="micro", isolation="process", statement="x" * 40)
    submit(lot)
    with pytest.raises(Conflict):
        submit(lot)


def test_a_claim_needs_a_statement_and_valid_choices(lot, no_broker):
    with pytest.raises(ValidationError) as exc:
        services.claim_submit(lot=lot, by=lot.producer, kind="huge", isolation="moon", statement="short")
    assert set(exc.value.message_dict) == {"kind", "isolation", "statement"}
    assert not MicroLotClaim.objects.exists()


# --- deciding ---


def test_approval_sets_the_badge_and_is_audited(claim, moderator, lot):
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark checks out.")
    lot.refresh_from_db()
    claim.refresh_from_db()
    assert claim.status == "approved" and lot.verified_badge == "micro"
    event = AuditEvent.objects.get(action="claim.approve", target_id=str(claim.pk))
    assert event.actor == moderator and event.data["reason"] == "Every hallmark checks out."
    assert Notification.objects.filter(recipient=lot.producer, kind="claim_decision").count() == 1


def test_a_nano_claim_gives_the_nano_badge(producer, q_grader, no_broker, moderator):
    from tests.moderation.builders import add_grading, add_plot_photo, add_premium

    lot = factories.LotFactory(producer=producer, weight_kg=Decimal("20"), official_score=Decimal("90"))
    add_chain(
        lot,
        [
            ("harvest", "cherry", "cherry", "130", "125"),
            ("depulping", "cherry", "parchment", "125", "60"),
            ("fermentation", "parchment", "parchment", "60", "58"),
            ("drying", "parchment", "parchment", "58", "26"),
            ("milling", "parchment", "green", "26", "21"),
            ("packaging", "green", "green", "21", "20"),
        ],
    )
    add_sheet(lot, q_grader, "90.00")
    add_grading(lot, q_grader)
    add_plot_photo(lot)
    add_premium(lot, "9.000")
    claim = submit(lot, kind="nano")
    services.claim_recompute(claim_id=claim.pk)
    assert set(results(claim).values()) == {"pass"}
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="A genuine nano-lot.")
    assert Lot.objects.get(pk=lot.pk).verified_badge == "nano"


def test_a_decision_needs_a_written_reason(claim, moderator):
    with pytest.raises(ValidationError) as exc:
        services.claim_decide(claim=claim, by=moderator, decision="approve", reason="  ")
    assert "reason" in exc.value.message_dict
    assert not ClaimDecision.objects.exists()
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == ""


@pytest.mark.parametrize("who", ["producer", "second_producer", "roaster", "q_grader", "outsider"])
def test_only_moderators_decide(claim, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.claim_decide(claim=claim, by=user, decision="approve", reason="Looks fine to me.")
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "pending"


def test_a_moderator_may_not_decide_a_claim_on_their_own_lot(moderator, q_grader, no_broker):
    lot = genuine_lot(moderator, q_grader)
    claim = submit(lot)
    with pytest.raises(PermissionDenied):
        services.claim_decide(claim=claim, by=moderator, decision="approve", reason="My own lot is great.")
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""


def test_request_evidence_then_reply_returns_the_claim_to_the_queue(claim, moderator):
    services.claim_decide(claim=claim, by=moderator, decision="request_evidence", reason="Add a milling document.")
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "evidence_requested"
    services.claim_reply(claim=claim, by=claim.producer, note="Uploaded the mill receipt.")
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "pending"
    actions = list(
        AuditEvent.objects.filter(target_id=str(claim.pk), action__startswith="claim.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["claim.submitted", "claim.request_evidence", "claim.replied"]


def test_new_evidence_while_evidence_is_requested_returns_the_claim_to_the_queue(claim, moderator, lot):
    services.claim_decide(claim=claim, by=moderator, decision="request_evidence", reason="Add a milling document.")
    add_chain(lot, [("warehouse", "green", "green", "300", "300")])
    claim.refresh_from_db()
    assert claim.status == "pending"
    assert EvidenceChange.objects.filter(claim=claim, kind="custody", reopened=False).exists()


def test_a_rejected_claim_is_final_and_the_producer_may_claim_again(claim, moderator, lot):
    services.claim_decide(claim=claim, by=moderator, decision="reject", reason="Yield is implausible.")
    with pytest.raises(Conflict):
        services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Changed my mind.")
    assert submit(lot).status == "pending"


def test_a_stale_evidence_version_refuses_the_decision(claim, moderator):
    seen = claim.evidence_version
    send_evidence_changed(sender=Lot, lot_id=claim.lot_id, kind="photo", detail="photo added")
    with pytest.raises(Conflict):
        services.claim_decide(claim=claim, by=moderator, decision="approve", reason="All good.", evidence_version=seen)
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == ""


def test_decisions_are_append_only(claim, moderator):
    from core.models import AppendOnlyError

    decision = services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    decision.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()


# --- re-opening on evidence change ---

REOPEN = ["custody", "weight", "price", "score", "cupping_sheet", "green_grading", "photo", "process", "origin"]


@pytest.mark.parametrize("kind", REOPEN)
def test_any_evidence_change_after_approval_reopens_the_claim_and_removes_the_badge(claim, moderator, lot, kind):
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    assert Lot.objects.get(pk=lot.pk).verified_badge == "micro"
    send_evidence_changed(sender=Lot, lot_id=lot.pk, kind=kind, detail=f"{kind} changed", actor=lot.producer)
    claim.refresh_from_db()
    assert claim.status == "pending" and claim.reopened_count == 1
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""
    change = EvidenceChange.objects.get(claim=claim)
    assert (change.kind, change.detail, change.reopened, change.actor) == (kind, f"{kind} changed", True, lot.producer)
    assert AuditEvent.objects.filter(action="claim.reopened", target_id=str(claim.pk)).count() == 1
    # Approving again restores the badge.
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Reviewed the change.")
    assert Lot.objects.get(pk=lot.pk).verified_badge == "micro"


def test_a_premium_recomputation_is_recorded_but_does_not_reopen(claim, moderator, lot):
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="premium", detail="ratio 4.0 → 4.1")
    claim.refresh_from_db()
    assert claim.status == "approved" and Lot.objects.get(pk=lot.pk).verified_badge == "micro"
    assert EvidenceChange.objects.get(claim=claim).reopened is False


def test_a_real_custody_event_reopens_an_approved_claim(claim, moderator, lot, no_broker):
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    no_broker.clear()
    add_chain(lot, [("warehouse", "green", "green", "300", "300")])
    claim.refresh_from_db()
    assert claim.status == "pending" and Lot.objects.get(pk=lot.pk).verified_badge == ""
    assert no_broker == [claim.pk]  # the hallmarks are recomputed after commit
    assert "warehouse" in EvidenceChange.objects.get(claim=claim).detail


def test_a_real_withdrawn_cupping_sheet_reopens_an_approved_claim(claim, moderator, lot, q_grader):
    from cupping.models import CuppingSheet
    from cupping.services import sheet_withdraw

    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    sheet = CuppingSheet.objects.get(lot=lot)
    sheet_withdraw(sheet_id=sheet.pk, by=q_grader, reason="Sample mislabelled.")
    claim.refresh_from_db()
    assert claim.status == "pending" and Lot.objects.get(pk=lot.pk).verified_badge == ""
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["score"] == "fail"


def test_evidence_changes_on_other_lots_touch_nothing(claim, moderator, producer):
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    other = factories.LotFactory(producer=producer)
    send_evidence_changed(sender=Lot, lot_id=other.pk, kind="custody", detail="elsewhere")
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "approved"


def test_stale_hallmarks_are_recomputed_on_demand(claim):
    send_evidence_changed(sender=Lot, lot_id=claim.lot_id, kind="photo", detail="photo added")
    claim.refresh_from_db()
    assert services.hallmarks_stale(claim)
    services.claim_refresh_if_stale(claim=claim)
    assert not services.hallmarks_stale(claim)


def test_a_recompute_that_read_old_evidence_does_not_overwrite(claim, monkeypatch):
    from marketplace.moderation import evidence

    real = evidence.gather

    def gather_then_change(**kw):
        ev = real(**kw)
        # Evidence changes while this run computes: its results would be stale.
        MicroLotClaim.objects.filter(pk=claim.pk).update(evidence_version=claim.evidence_version + 1)
        return ev

    monkeypatch.setattr(evidence, "gather", gather_then_change)
    assert services.claim_recompute(claim_id=claim.pk) == "superseded"


def test_a_corrected_custody_event_replaces_the_wrong_one(producer, q_grader, no_broker):
    from lots.services import custody_event_add

    lot = factories.LotFactory(producer=producer, official_score=Decimal("88"))
    add_chain(lot, [*WASHED_CHAIN[:5], ("packaging", "green", "green", "305", "420")])
    wrong = CustodyEvent.objects.get(lot=lot, stage="packaging")
    claim = submit(lot)
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["separation"] == "fail"
    custody_event_add(
        lot=lot,
        by=producer,
        stage="packaging",
        occurred_on=wrong.occurred_on,
        state_in="green",
        state_out="green",
        weight_in_kg=Decimal("305"),
        weight_out_kg=Decimal("300"),
        separated=True,
        corrects=wrong,
        notes="Typo: 300 kg were packed, not 420.",
    )
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["separation"] == "pass" and results(claim)["integrity"] == "pass"


def test_two_lots_cut_from_one_small_plot_fail_volume_together(producer, q_grader, no_broker):
    first = genuine_lot(producer, q_grader, weight_kg=Decimal("300"))
    plot = first.plots.get()
    plot.area_ha = Decimal("0.4")
    plot.save(update_fields=["area_ha"])
    claim = submit(first)
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["volume"] == "pass"  # 0.75 t/ha
    factories.LotFactory(producer=producer, plots=[plot], weight_kg=Decimal("900"))
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["volume"] == "fail"  # 1,200 kg from 0.4 ha = 3 t/ha


def test_a_lot_over_1000_kg_can_never_be_approved_as_a_micro_lot(producer, q_grader, moderator, no_broker):
    lot = genuine_lot(producer, q_grader, weight_kg=Decimal("1500"))
    claim = submit(lot)
    with pytest.raises(ValidationError) as exc:
        services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Looks great to me.")
    assert "decision" in exc.value.message_dict
    assert Lot.objects.get(pk=lot.pk).verified_badge == "" and not ClaimDecision.objects.exists()
    services.claim_decide(claim=claim, by=moderator, decision="reject", reason="1,500 kg is not a micro-lot.")
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "rejected"


def test_the_audit_trail_records_the_whole_life_of_a_claim_in_order(claim, moderator, lot):
    from core.models import AppendOnlyError

    services.claim_decide(claim=claim, by=moderator, decision="request_evidence", reason="Add the mill receipt.")
    services.claim_reply(claim=claim, by=lot.producer, note="Receipt added to the milling event.")
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Receipt matches.")
    send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="weight", detail="changed: weight_kg", actor=lot.producer)
    services.claim_decide(claim=claim, by=moderator, decision="reject", reason="The new weight does not add up.")
    from django.contrib.contenttypes.models import ContentType

    claim_type = ContentType.objects.get_for_model(MicroLotClaim)
    trail = list(AuditEvent.objects.filter(target_type=claim_type, target_id=str(claim.pk)).order_by("id"))
    assert [(e.action, e.actor) for e in trail] == [
        ("claim.submitted", lot.producer),
        ("claim.request_evidence", moderator),
        ("claim.replied", lot.producer),
        ("claim.approve", moderator),
        ("claim.reopened", lot.producer),
        ("claim.reject", moderator),
    ]
    assert [e.data.get("to") for e in trail if e.action.startswith("claim.") and "to" in e.data] == [
        "evidence_requested",
        "pending",
        "approved",
        "rejected",
    ]
    assert trail[4].data["kind"] == "weight"
    with pytest.raises(AppendOnlyError):
        trail[0].delete()
    assert [d.decision for d in claim.decisions.order_by("id")] == ["request_evidence", "approve", "reject"]


def test_a_pricing_flag_turns_the_premium_into_a_fail_and_the_moderator_sees_it(
    producer, q_grader, no_broker, moderator_client
):
    from django.urls import reverse

    from tests.moderation.builders import add_premium

    lot = genuine_lot(producer, q_grader)
    add_premium(lot, "14.000", flag_over_10x=True)
    claim = submit(lot)
    services.claim_recompute(claim_id=claim.pk)
    assert results(claim)["premium"] == "fail"
    body = moderator_client.get(reverse("moderation:claim", args=[claim.pk])).content.decode()
    assert "14.000×" in body and "Over 10× the baseline" in body


def test_a_sweep_of_many_lots_records_each_claims_change_once_with_one_claim_query(
    claim, moderator, lot, django_assert_max_num_queries
):
    from core.signals import send_evidence_changed_many
    from tests.factories import LotFactory

    others = [LotFactory(producer=lot.producer).pk for _ in range(30)]
    before = EvidenceChange.objects.count()
    # Thirty lots without a claim cost one query in all, not one each.
    with django_assert_max_num_queries(2):
        send_evidence_changed_many(sender=Lot, lot_ids=others, kind="premium", detail="premium sweep")
    assert EvidenceChange.objects.count() == before


def test_a_sweep_reaches_the_lot_with_an_active_claim_exactly_once(claim, moderator, lot):
    from core.signals import send_evidence_changed_many
    from tests.factories import LotFactory

    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    others = [LotFactory(producer=lot.producer).pk for _ in range(5)]
    send_evidence_changed_many(sender=Lot, lot_ids=[*others, lot.pk], kind="price", detail="rates changed")
    claim.refresh_from_db()
    assert claim.status == "pending" and claim.reopened_count == 1
    assert EvidenceChange.objects.filter(claim=claim).count() == 1
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""


def test_a_decision_made_from_a_stale_page_is_refused(claim, moderator, lot):
    from tests.factories import ModeratorFactory

    services.claim_decide(
        claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.", seen_status="pending"
    )
    with pytest.raises(Conflict, match="Another moderator"):
        services.claim_decide(
            claim=claim, by=ModeratorFactory(), decision="reject", reason="Looked wrong to me.", seen_status="pending"
        )
    claim.refresh_from_db()
    assert claim.status == "approved"
