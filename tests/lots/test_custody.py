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


def test_deleting_an_event_leaves_a_gap_that_is_detected(chain):
    CustodyEvent.objects.filter(pk=chain[1].pk).delete()
    result = services.custody_verify(chain[0].lot)
    assert (result.ok, result.first_broken_seq) == (False, 3)


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
