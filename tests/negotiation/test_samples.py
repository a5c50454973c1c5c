"""Sample requests: each step by the right party, timestamped; feedback deadline and overdue record."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from core.models import Notification
from lots.models import Lot
from marketplace.negotiation import conf, selectors, services
from marketplace.negotiation.models import SampleRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(lot: Lot, roaster: Any) -> SampleRequest:
    return services.sample_request(lot=lot, by=roaster, kind="offer", grams=250, message="For cupping")


def arrived(sample: SampleRequest, producer: Any, roaster: Any) -> SampleRequest:
    services.sample_accept(sample=sample, by=producer)
    services.sample_ship(sample=sample, by=producer, courier="DHL", tracking="123")
    return services.sample_confirm_arrival(sample=sample, by=roaster)


def test_request_copies_the_producers_sample_price(lot: Lot, roaster: Any, producer: Any) -> None:
    services.sample_terms_set(producer=producer, fee=Decimal("18.50"), currency="EUR")
    sample = services.sample_request(lot=lot, by=roaster, kind="pre_shipment", grams=300)
    assert sample.fee == Decimal("18.50") and sample.currency == "EUR"
    assert sample.status == "requested" and sample.producer == producer
    assert Notification.objects.filter(recipient=producer, kind="sample.requested").exists()


def test_without_a_price_samples_are_free(sample: SampleRequest) -> None:
    assert sample.fee == Decimal("0")


@pytest.mark.parametrize("grams", [0, 10, 100001, "many"])
def test_sample_weight_must_be_sensible(lot: Lot, roaster: Any, grams: Any) -> None:
    with pytest.raises(ValidationError) as e:
        services.sample_request(lot=lot, by=roaster, kind="offer", grams=grams)
    assert "grams" in e.value.message_dict
    assert not SampleRequest.objects.exists()


def test_only_roasters_request_samples(lot: Lot, q_grader: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.sample_request(lot=lot, by=q_grader, kind="offer", grams=200)


def test_draft_lot_gives_no_samples(producer: Any, roaster: Any) -> None:
    from tests.factories import LotFactory

    with pytest.raises(Conflict):
        services.sample_request(lot=LotFactory(producer=producer, status="draft"), by=roaster, kind="offer", grams=200)


def test_full_sample_life_is_timestamped(sample: SampleRequest, producer: Any, roaster: Any) -> None:
    s = services.sample_accept(sample=sample, by=producer)
    assert s.status == "accepted" and s.accepted_at
    with pytest.raises(ValidationError):
        services.sample_ship(sample=s, by=producer, courier="", tracking="")
    s = services.sample_ship(sample=s, by=producer, courier="DHL", tracking="JD0001")
    assert s.status == "shipped" and s.shipped_at and s.tracking == "JD0001"
    assert Notification.objects.filter(recipient=roaster, kind="sample.shipped").exists()
    s = services.sample_confirm_arrival(sample=s, by=roaster)
    assert s.status == "arrived" and s.arrived_at
    assert s.feedback_due_at == s.arrived_at + datetime.timedelta(days=conf.SAMPLE_FEEDBACK_DAYS)
    s = services.sample_feedback(sample=s, by=roaster, score=Decimal("87.25"), notes="Jasmine, bergamot")
    assert s.status == "feedback" and s.feedback_at and s.feedback_score == Decimal("87.25")
    assert not s.feedback_late
    assert Notification.objects.filter(recipient=producer, kind="sample.feedback").exists()


def cupping_sheet(lot: Lot, grader: Any) -> Any:
    from cupping import scoring
    from cupping.services import sheet_submit

    values: dict[str, Any] = dict.fromkeys(scoring.SCA_QUALITY, Decimal("7.75"))
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    return sheet_submit(
        grader=grader,
        lot=lot,
        protocol=scoring.SCA2004,
        cupped_on=timezone.localdate() - datetime.timedelta(days=1),
        independent=True,
        values=values,
    )


def test_feedback_may_be_a_cupping_sheet_of_the_lot(
    sample: SampleRequest, producer: Any, roaster: Any, q_grader: Any, lot: Lot
) -> None:
    from tests.factories import LotFactory

    s = arrived(sample, producer, roaster)
    other_lot_sheet = cupping_sheet(LotFactory(producer=producer), q_grader)
    for wrong in (other_lot_sheet.pk, other_lot_sheet.pk + 1000):
        with pytest.raises(ValidationError) as e:
            services.sample_feedback(sample=s, by=roaster, cupping_sheet_id=wrong)
        assert "cupping_sheet_id" in e.value.message_dict
    sheet = cupping_sheet(lot, q_grader)
    s = services.sample_feedback(sample=s, by=roaster, cupping_sheet_id=sheet.pk)
    assert s.cupping_sheet_id == sheet.pk and s.status == "feedback"


def test_feedback_needs_score_and_notes_or_a_sheet(sample: SampleRequest, producer: Any, roaster: Any) -> None:
    s = arrived(sample, producer, roaster)
    with pytest.raises(ValidationError):
        services.sample_feedback(sample=s, by=roaster, score=Decimal("85"))
    with pytest.raises(ValidationError):
        services.sample_feedback(sample=s, by=roaster, score=Decimal("101"), notes="x")
    s.refresh_from_db()
    assert s.status == "arrived"


def test_producer_declines_with_a_reason(sample: SampleRequest, producer: Any, roaster: Any) -> None:
    s = services.sample_decline(sample=sample, by=producer, reason="Sold out of samples")
    assert s.status == "declined" and s.declined_at and s.decline_reason == "Sold out of samples"
    with pytest.raises(Conflict):
        services.sample_accept(sample=s, by=producer)


def test_wrong_party_is_refused_at_every_step(
    sample: SampleRequest, producer: Any, roaster: Any, outsider: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.sample_accept(sample=sample, by=roaster)
    with pytest.raises(PermissionDenied):
        services.sample_accept(sample=sample, by=outsider)
    services.sample_accept(sample=sample, by=producer)
    with pytest.raises(PermissionDenied):
        services.sample_ship(sample=sample, by=roaster, courier="x", tracking="y")
    services.sample_ship(sample=sample, by=producer, courier="x", tracking="y")
    with pytest.raises(PermissionDenied):
        services.sample_confirm_arrival(sample=sample, by=producer)
    services.sample_confirm_arrival(sample=sample, by=roaster)
    with pytest.raises(PermissionDenied):
        services.sample_feedback(sample=sample, by=outsider, cupping_sheet_id=1)


def test_steps_out_of_order_are_refused(sample: SampleRequest, producer: Any, roaster: Any) -> None:
    with pytest.raises(Conflict):
        services.sample_ship(sample=sample, by=producer, courier="x", tracking="y")
    with pytest.raises(Conflict):
        services.sample_confirm_arrival(sample=sample, by=roaster)
    with pytest.raises(Conflict):
        services.sample_feedback(sample=sample, by=roaster, score=Decimal("85"), notes="x")


def test_overdue_feedback_shows_on_the_roasters_record(lot: Lot, producer: Any, roaster: Any) -> None:
    late = arrived(services.sample_request(lot=lot, by=roaster, kind="offer", grams=200), producer, roaster)
    on_time = arrived(services.sample_request(lot=lot, by=roaster, kind="offer", grams=200), producer, roaster)
    overdue = arrived(services.sample_request(lot=lot, by=roaster, kind="offer", grams=200), producer, roaster)
    past = timezone.now() - datetime.timedelta(days=1)
    SampleRequest.objects.filter(pk__in=[late.pk, overdue.pk]).update(feedback_due_at=past)
    services.sample_feedback(sample=late, by=roaster, score=Decimal("84"), notes="Late but thorough")
    services.sample_feedback(sample=on_time, by=roaster, score=Decimal("86"), notes="Clean")
    record = selectors.roaster_sample_record(roaster)
    assert record == {"received": 3, "given": 2, "on_time": 1, "late": 1, "overdue": 1}
    overdue.refresh_from_db()
    assert overdue.feedback_late
