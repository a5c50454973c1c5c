"""Negotiations: every move and every refused move (wrong turn, wrong party, expired, accepted)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from core.models import AuditEvent, Notification
from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.models import Negotiation, NegotiationEvent, Offer, Order
from tests.factories import LotFactory, RoasterFactory
from tests.negotiation.conftest import terms

pytestmark = pytest.mark.django_db


def actions(n: Negotiation) -> list[str]:
    return list(NegotiationEvent.objects.filter(negotiation=n).order_by("id").values_list("action", flat=True))


def test_roaster_opens_with_an_offer_and_it_is_the_producers_turn(open_negotiation: Negotiation, producer: Any) -> None:
    n = open_negotiation
    assert n.status == "open"
    assert n.turn == "seller"
    assert n.seller == producer
    assert n.current_offer.seq == 1 and n.current_offer.side == "buyer"
    assert n.current_offer.price_per_kg == Decimal("28.0000")
    assert n.current_offer.price_per_lb == Decimal("12.7006")
    assert actions(n) == ["opened"]
    assert Notification.objects.filter(recipient=producer, kind="negotiation.opened").count() == 1
    assert AuditEvent.objects.filter(action="negotiation.opened", target_id=str(n.pk)).exists()


def test_price_per_lb_offer_is_kept_as_stated_and_converted(lot: Lot, roaster: Any) -> None:
    n = services.negotiation_open(lot=lot, by=roaster, **terms(price=Decimal("12.50"), price_unit="lb"))
    offer = n.current_offer
    assert offer.price == Decimal("12.5000") and offer.price_unit == "lb"
    assert offer.price_per_kg == Decimal("27.5578")


def test_only_roasters_open_negotiations(lot: Lot, producer: Any, second_producer: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.negotiation_open(lot=lot, by=second_producer, **terms())


def test_offer_above_available_quantity_is_refused(lot: Lot, roaster: Any) -> None:
    with pytest.raises(ValidationError) as e:
        services.negotiation_open(lot=lot, by=roaster, **terms(quantity_kg=Decimal("300.01")))
    assert "quantity_kg" in e.value.message_dict
    assert not Negotiation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", Decimal("0")),
        ("price", Decimal("-1")),
        ("quantity_kg", Decimal("0")),
        ("currency", "XXX"),
        ("price_unit", "ton"),
        ("incoterm", "ABC"),
        ("expires_at", timezone.now() - datetime.timedelta(minutes=1)),
    ],
)
def test_bad_terms_are_refused_per_field_and_nothing_is_written(lot: Lot, roaster: Any, field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as e:
        services.negotiation_open(lot=lot, by=roaster, **terms(**{field: value}))
    assert field in e.value.message_dict
    assert not Negotiation.objects.exists() and not Offer.objects.exists()


def test_draft_lot_takes_no_offers(producer: Any, roaster: Any) -> None:
    draft = LotFactory(producer=producer, status="draft")
    with pytest.raises(Conflict):
        services.negotiation_open(lot=draft, by=roaster, **terms())


def test_second_live_negotiation_on_the_same_lot_is_refused(
    open_negotiation: Negotiation, lot: Lot, roaster: Any
) -> None:
    with pytest.raises(Conflict):
        services.negotiation_open(lot=lot, by=roaster, **terms())


def test_turns_alternate_through_counters(open_negotiation: Negotiation, producer: Any, roaster: Any) -> None:
    n = services.negotiation_counter(negotiation=open_negotiation, by=producer, **terms(price=Decimal("31")))
    assert n.status == "countered" and n.turn == "buyer"
    assert n.current_offer.seq == 2 and n.current_offer.side == "seller"
    n = services.negotiation_counter(negotiation=n, by=roaster, **terms(price=Decimal("29.5")))
    assert n.turn == "seller" and n.current_offer.seq == 3
    assert actions(n) == ["opened", "countered", "countered"]
    assert Notification.objects.filter(recipient=roaster, kind="negotiation.countered").count() == 1


def test_counter_out_of_turn_is_refused(open_negotiation: Negotiation, roaster: Any) -> None:
    with pytest.raises(Conflict):
        services.negotiation_counter(negotiation=open_negotiation, by=roaster, **terms(price=Decimal("29")))
    assert Offer.objects.count() == 1


def test_accept_out_of_turn_is_refused(open_negotiation: Negotiation, roaster: Any) -> None:
    with pytest.raises(Conflict):
        services.negotiation_accept(negotiation=open_negotiation, by=roaster)
    assert not Order.objects.exists()


def test_reject_out_of_turn_is_refused(open_negotiation: Negotiation, roaster: Any) -> None:
    with pytest.raises(Conflict):
        services.negotiation_reject(negotiation=open_negotiation, by=roaster)


@pytest.mark.parametrize("move", ["counter", "accept", "reject", "withdraw"])
def test_outsider_can_make_no_move(
    open_negotiation: Negotiation, outsider: Any, second_producer: Any, move: str
) -> None:
    for stranger in (outsider, second_producer):
        with pytest.raises(PermissionDenied):
            if move == "counter":
                services.negotiation_counter(negotiation=open_negotiation, by=stranger, **terms())
            else:
                getattr(services, f"negotiation_{move}")(negotiation=open_negotiation, by=stranger)
    open_negotiation.refresh_from_db()
    assert open_negotiation.status == "open"


def test_producer_cannot_withdraw(open_negotiation: Negotiation, producer: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.negotiation_withdraw(negotiation=open_negotiation, by=producer)


def test_roaster_may_withdraw_even_on_the_producers_turn(
    open_negotiation: Negotiation, roaster: Any, producer: Any
) -> None:
    n = services.negotiation_withdraw(negotiation=open_negotiation, by=roaster, note="Found another lot")
    assert n.status == "withdrawn" and n.closed_at
    assert Notification.objects.filter(recipient=producer, kind="negotiation.withdrawn").exists()


def test_producer_rejects(open_negotiation: Negotiation, producer: Any, roaster: Any) -> None:
    n = services.negotiation_reject(negotiation=open_negotiation, by=producer, note="Too low")
    assert n.status == "rejected"
    assert NegotiationEvent.objects.get(negotiation=n, action="rejected").note == "Too low"
    assert Notification.objects.filter(recipient=roaster, kind="negotiation.rejected").exists()


def test_accept_creates_the_order_and_reserves_the_lot(
    open_negotiation: Negotiation, producer: Any, roaster: Any, lot: Lot
) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    open_negotiation.refresh_from_db()
    lot.refresh_from_db()
    assert open_negotiation.status == "accepted"
    assert order.source == "negotiation" and order.source_id == open_negotiation.pk
    assert order.quantity_kg == Decimal("100") and order.price_per_kg == Decimal("28.0000")
    assert order.total == Decimal("2800.00") and order.marketplace_fee == Decimal("140.00")
    assert order.shipment_window == "March 2027" and order.incoterm_place == "Buenaventura"
    assert lot.reserved_kg == Decimal("100") and lot.status == "listed" and lot.available_kg == Decimal("200")
    assert actions(open_negotiation) == ["opened", "accepted"]
    assert Notification.objects.filter(recipient=roaster, kind="negotiation.accepted").exists()


def test_roaster_accepts_producers_counter_with_its_terms(
    open_negotiation: Negotiation, producer: Any, roaster: Any
) -> None:
    n = services.negotiation_counter(
        negotiation=open_negotiation,
        by=producer,
        **terms(price=Decimal("13.61"), price_unit="lb", condition="PSS approval"),
    )
    order = services.negotiation_accept(negotiation=n, by=roaster)
    assert order.price == Decimal("13.6100") and order.price_unit == "lb"
    assert order.conditions == "PSS approval"


@pytest.mark.parametrize("move", ["counter", "accept", "reject", "withdraw"])
def test_nobody_can_act_on_an_accepted_negotiation(
    open_negotiation: Negotiation, producer: Any, roaster: Any, move: str
) -> None:
    services.negotiation_accept(negotiation=open_negotiation, by=producer)
    by = roaster if move == "withdraw" else producer
    with pytest.raises(Conflict):
        if move == "counter":
            services.negotiation_counter(negotiation=open_negotiation, by=by, **terms())
        else:
            getattr(services, f"negotiation_{move}")(negotiation=open_negotiation, by=by)
    assert Order.objects.count() == 1


def test_second_accept_of_the_same_negotiation_is_refused(
    open_negotiation: Negotiation, producer: Any, lot: Lot
) -> None:
    services.negotiation_accept(negotiation=open_negotiation, by=producer)
    with pytest.raises(Conflict):
        services.negotiation_accept(negotiation=open_negotiation, by=producer)
    lot.refresh_from_db()
    assert lot.reserved_kg == Decimal("100")


@pytest.mark.parametrize("status", ["rejected", "withdrawn", "expired"])
def test_nobody_can_act_on_a_closed_negotiation(open_negotiation: Negotiation, producer: Any, status: str) -> None:
    Negotiation.objects.filter(pk=open_negotiation.pk).update(status=status)
    for fn in (services.negotiation_accept, services.negotiation_reject):
        with pytest.raises(Conflict):
            fn(negotiation=open_negotiation, by=producer)


def test_an_offer_past_its_expiry_cannot_be_accepted(open_negotiation: Negotiation, producer: Any) -> None:
    Negotiation.objects.filter(pk=open_negotiation.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(Conflict):
        services.negotiation_accept(negotiation=open_negotiation, by=producer)
    assert not Order.objects.exists()


def test_expiry_sweep_expires_only_due_negotiations_once(
    lot: Lot, roaster: Any, second_roaster: Any, producer: Any
) -> None:
    due = services.negotiation_open(lot=lot, by=roaster, **terms())
    fresh = services.negotiation_open(lot=lot, by=second_roaster, **terms())
    Negotiation.objects.filter(pk=due.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert services.negotiations_expire_due() == 1
    assert services.negotiations_expire_due() == 0  # running twice changes nothing
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert due.status == "expired" and fresh.status == "open"
    assert actions(due) == ["opened", "expired"]
    assert Notification.objects.filter(kind="negotiation.expired").count() == 2  # both parties


def test_accept_tells_other_negotiations_that_no_longer_fit(lot: Lot, producer: Any, roaster: Any) -> None:
    big = services.negotiation_open(lot=lot, by=roaster, **terms(quantity_kg=Decimal("250")))
    others = [RoasterFactory() for _ in range(2)]
    small = services.negotiation_open(lot=lot, by=others[0], **terms(quantity_kg=Decimal("50")))
    too_big = services.negotiation_open(lot=lot, by=others[1], **terms(quantity_kg=Decimal("100")))
    services.negotiation_accept(negotiation=big, by=producer)
    small.refresh_from_db()
    too_big.refresh_from_db()
    assert small.no_longer_fits_at is None
    assert too_big.no_longer_fits_at is not None and too_big.status == "open"
    assert actions(too_big)[-1] == "no_longer_fits"
    assert Notification.objects.filter(recipient=others[1], kind="negotiation.no_longer_fits").exists()
    # It cannot be accepted as it stands …
    with pytest.raises(Conflict):
        services.negotiation_accept(negotiation=too_big, by=producer)
    # … but the producer may counter with what is left, and that fits again.
    n = services.negotiation_counter(negotiation=too_big, by=producer, **terms(quantity_kg=Decimal("50")))
    assert n.no_longer_fits_at is None
    order = services.negotiation_accept(negotiation=n, by=others[1])
    lot.refresh_from_db()
    assert order.quantity_kg == Decimal("50") and lot.reserved_kg == Decimal("300") and lot.status == "reserved"


def test_events_and_offers_are_append_only(open_negotiation: Negotiation) -> None:
    from core.models import AppendOnlyError

    offer = open_negotiation.current_offer
    offer.price = Decimal("1")
    with pytest.raises(AppendOnlyError):
        offer.save()
    with pytest.raises(AppendOnlyError):
        NegotiationEvent.objects.filter(negotiation=open_negotiation).first().delete()
