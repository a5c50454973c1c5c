import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AppendOnlyError
from lots import services
from lots.custody import GENESIS
from lots.models import CustodyDocument, CustodyEvent
from tests.lots.conftest import jpeg_bytes
from tests.security.hostile_files import clean_pdf

pytestmark = pytest.mark.django_db

PDF = clean_pdf()  # a real one-page PDF: the upload check parses it


def add(lot, by, stage="harvest", w_in="1800", w_out="1800", state_in="cherry", state_out="cherry", **kw):
    return services.custody_event_add(
        lot=lot,
        by=by,
        stage=stage,
        occurred_on=datetime.date(2025, 10, 5),
        state_in=state_in,
        state_out=state_out,
        weight_in_kg=Decimal(w_in),
        weight_out_kg=Decimal(w_out),
        separated=True,
        **kw,
    )


@pytest.fixture
def chain(draft, producer):
    first = add(draft, producer, documents=[services.DocumentUpload(name="weigh-ticket.pdf", data=PDF)])
    second = add(draft, producer, stage="depulping", state_out="parchment", w_out="400")
    third = add(draft, producer, stage="drying", state_in="parchment", state_out="parchment", w_in="400", w_out="330")
    return [first, second, third]


def test_events_are_linked_by_hash_from_a_genesis(chain):
    first, second, third = chain
    assert [e.seq for e in chain] == [1, 2, 3]
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.content_hash
    assert third.prev_hash == second.content_hash
    assert services.custody_verify(first.lot).ok


def test_documents_are_stored_privately_with_their_sha256(chain):
    import hashlib

    doc = CustodyDocument.objects.get()
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.content_type == "application/pdf"
    assert doc.file.storage.__class__.__name__ == "InMemoryStorage"
    with doc.file.open("rb") as fh:
        assert fh.read() == PDF


def test_editing_a_stored_event_is_detected_at_that_event(chain):
    CustodyEvent.objects.filter(pk=chain[1].pk).update(weight_out_kg=Decimal("500"))
    result = services.custody_verify(chain[0].lot)
    assert not result.ok
    assert result.first_broken_seq == 2


def test_editing_a_document_hash_is_detected(chain):
    CustodyDocument.objects.update(sha256="0" * 64)
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq) == (False, 1)


def test_rewriting_an_event_and_its_hash_still_breaks_the_next_link(chain):
    from lots.custody import chain_hash, event_content

    CustodyEvent.objects.filter(pk=chain[0].pk).update(notes="blended with neighbour's coffee")
    forged = CustodyEvent.objects.get(pk=chain[0].pk)
    CustodyEvent.objects.filter(pk=forged.pk).update(content_hash=chain_hash(forged.prev_hash, event_content(forged)))
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_deleting_a_middle_event_is_reported_as_a_sequence_gap_naming_the_missing_event(chain):
    CustodyEvent.objects.filter(pk=chain[1].pk).delete()
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq, result.code) == (False, 3, "sequence_gap")
    assert result.reason == "sequence gap: event 2 is missing before event 3"


def test_deleting_the_first_event_is_reported_as_a_sequence_gap_at_event_one(chain):
    CustodyEvent.objects.filter(pk=chain[0].pk).delete()
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq, result.code) == (False, 2, "sequence_gap")
    assert result.reason == "sequence gap: event 1 is missing before event 2"


def test_deleting_the_last_event_is_detected_against_the_lots_anchored_head(chain):
    """Issue 13: the shorter chain is consistent in itself; only the anchored head shows the loss."""
    CustodyEvent.objects.filter(pk=chain[2].pk).delete()
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq, result.code) == (False, 3, "truncated")
    assert result.reason == "the chain ends at event 2 but the lot recorded 3 events: the last event was removed"


def test_deleting_every_event_is_detected(chain):
    CustodyEvent.objects.filter(lot=chain[0].lot).delete()
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.count, result.code) == (False, 0, "truncated")


def test_editing_an_event_is_reported_as_changed_content(chain):
    CustodyEvent.objects.filter(pk=chain[1].pk).update(notes="blended")
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq, result.code) == (False, 2, "content_mismatch")
    assert result.reason == "event 2 was changed after it was recorded: its content does not match its hash"


def test_reordering_two_events_is_reported_as_a_broken_link(chain):
    CustodyEvent.objects.filter(pk=chain[1].pk).update(seq=99)
    CustodyEvent.objects.filter(pk=chain[2].pk).update(seq=2)
    CustodyEvent.objects.filter(pk=chain[1].pk).update(seq=3)
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq, result.code) == (False, 2, "link_mismatch")
    assert result.reason == "event 2 does not link to the event before it: events were re-ordered or replaced"


def test_each_append_moves_the_lots_anchored_head_in_the_same_transaction(chain):
    from lots.models import Lot

    lot = Lot.objects.get(pk=chain[0].lot_id)
    assert (lot.custody_count, lot.custody_head_hash) == (3, chain[2].content_hash)


def test_appending_after_the_last_event_was_deleted_keeps_the_gap_visible(chain, producer):
    CustodyEvent.objects.filter(pk=chain[2].pk).delete()
    fourth = add(
        chain[0].lot, producer, stage="milling", state_in="parchment", state_out="green", w_in="330", w_out="265"
    )
    assert fourth.seq == 4 and fourth.prev_hash == chain[2].content_hash
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.code, result.reason) == (
        False,
        "sequence_gap",
        "sequence gap: event 3 is missing before event 4",
    )


def test_deleting_the_last_event_and_rewinding_the_lot_is_caught_by_the_claim_decision(chain, moderator):
    """The head a moderator decided on is recorded with the decision: rewinding the lot's own
    anchor as well does not hide the removed event."""
    from django.utils import timezone

    from lots.models import Lot
    from marketplace.moderation import services as moderation
    from marketplace.moderation.models import ClaimDecision, MicroLotClaim

    lot = chain[0].lot
    claim = MicroLotClaim.objects.create(
        lot=lot,
        producer=lot.producer,
        kind="micro",
        isolation="geographic",
        statement="Kept apart from picking to packing.",
        waiting_since=timezone.now(),
    )
    decision = moderation.claim_decide(
        claim=claim, by=moderator, decision="request_evidence", reason="Please add the milling ticket."
    )
    assert (decision.custody_count, decision.custody_head_hash) == (3, chain[2].content_hash)
    assert ClaimDecision.objects.get(pk=decision.pk).custody_count == 3
    CustodyEvent.objects.filter(pk=chain[2].pk).delete()
    Lot.objects.filter(pk=lot.pk).update(custody_count=2, custody_head_hash=chain[1].content_hash)
    result = services.custody_verify(lot)
    assert (result.ok, result.code) == (False, "truncated")
    assert result.reason == (
        f"the chain ends at event 2 but claim decision #{decision.pk} recorded 3 events: the last event was removed"
    )


def test_a_rewritten_chain_diverges_from_the_head_a_decision_recorded(chain, moderator):
    from django.utils import timezone

    from lots.custody import chain_hash, event_content
    from lots.models import Lot
    from marketplace.moderation import services as moderation
    from marketplace.moderation.models import MicroLotClaim

    lot = chain[0].lot
    claim = MicroLotClaim.objects.create(
        lot=lot,
        producer=lot.producer,
        kind="micro",
        isolation="geographic",
        statement="Kept apart from picking to packing.",
        waiting_since=timezone.now(),
    )
    decision = moderation.claim_decide(claim=claim, by=moderator, decision="request_evidence", reason="More, please.")
    # Forge the last event and its hash consistently, and the lot's anchor with it.
    CustodyEvent.objects.filter(pk=chain[2].pk).update(weight_out_kg=Decimal("390"))
    forged = CustodyEvent.objects.get(pk=chain[2].pk)
    new_hash = chain_hash(forged.prev_hash, event_content(forged))
    CustodyEvent.objects.filter(pk=forged.pk).update(content_hash=new_hash)
    Lot.objects.filter(pk=lot.pk).update(custody_head_hash=new_hash)
    result = services.custody_verify(lot)
    assert (result.ok, result.first_broken_seq, result.code) == (False, 3, "head_mismatch")
    assert f"claim decision #{decision.pk}" in result.reason


def test_events_cannot_be_edited_or_deleted_through_the_orm(chain):
    event = chain[0]
    event.notes = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_a_correction_is_a_new_event_pointing_at_the_old_one(chain, producer):
    fix = add(
        chain[0].lot,
        producer,
        stage="drying",
        state_in="parchment",
        state_out="parchment",
        w_in="400",
        w_out="335",
        corrects=chain[2],
        notes="scale re-calibrated",
    )
    assert fix.seq == 4 and fix.corrects_id == chain[2].pk
    assert CustodyEvent.objects.get(pk=chain[2].pk).weight_out_kg == Decimal("330.00")
    assert services.custody_verify(fix.lot).ok


def test_a_correction_must_point_into_the_same_lot(chain, producer):
    from tests.factories import LotFactory

    other = LotFactory(producer=producer)
    with pytest.raises(ValidationError):
        add(other, producer, corrects=chain[0])


def test_second_producer_cannot_append_to_my_chain(draft, second_producer):
    with pytest.raises(PermissionDenied):
        add(draft, second_producer)
    assert not CustodyEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("weight_in_kg", Decimal("0")), ("weight_out_kg", Decimal("-1")), ("stage", "roasting"), ("state_in", "roasted")],
)
def test_bad_event_data_is_refused_per_field(draft, producer, field, value):
    kwargs = {
        "stage": "harvest",
        "occurred_on": datetime.date(2025, 10, 5),
        "state_in": "cherry",
        "state_out": "cherry",
        "weight_in_kg": Decimal("10"),
        "weight_out_kg": Decimal("10"),
        "separated": True,
    }
    kwargs[field] = value
    with pytest.raises(ValidationError) as exc:
        services.custody_event_add(lot=draft, by=producer, **kwargs)
    assert field in exc.value.message_dict


def test_future_dates_are_refused(draft, producer):
    with pytest.raises(ValidationError) as exc:
        services.custody_event_add(
            lot=draft,
            by=producer,
            stage="harvest",
            occurred_on=datetime.date(2099, 1, 1),
            state_in="cherry",
            state_out="cherry",
            weight_in_kg=Decimal(1),
            weight_out_kg=Decimal(1),
            separated=True,
        )
    assert "occurred_on" in exc.value.message_dict


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"MZ\x90\x00 executable",
        b"%PDF-1.4 /JavaScript (x)\n%%EOF",
        b"",
        jpeg_bytes((64, 64))[:200],
    ],
    ids=["svg", "exe", "scripted pdf", "empty", "truncated jpeg"],
)
def test_bad_documents_are_refused_and_nothing_is_stored(draft, producer, data):
    with pytest.raises(ValidationError) as exc:
        add(draft, producer, documents=[services.DocumentUpload(name="x", data=data)])
    assert "documents" in exc.value.message_dict
    assert not CustodyEvent.objects.exists()
    assert not CustodyDocument.objects.exists()
