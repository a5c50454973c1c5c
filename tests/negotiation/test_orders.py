"""Orders: creation reserves the lot atomically; each status move is guarded and audited."""

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
from marketplace.negotiation.models import Order, OrderEvent, OrderStatus, QualityClaim
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(producer: Any) -> Lot:
    return LotFactory(producer=producer)


def make_order(lot: Lot, roaster: Any, qty: str = "100", source_id: int = 1, **kw: Any) -> Order:
    return services.order_create(
        lot=lot,
        buyer=roaster,
        seller=lot.producer,
        quantity_kg=Decimal(qty),
        price_per_kg=Decimal("30.00"),
        currency="USD",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        source="negotiation",
        source_id=source_id,
        by=lot.producer,
        **kw,
    )


def test_order_reserves_quantity_and_the_rest_of_the_lot_stays_listed(lot: Lot, roaster: Any) -> None:
    """A partial contract commits its kilograms; the lot stays in the catalogue with what is left."""
    order = make_order(lot, roaster, "100")
    lot.refresh_from_db()
    assert lot.reserved_kg == Decimal("100")
    assert lot.status == "listed" and lot.available_kg == Decimal("200")
    assert order.total == Decimal("3000.00")
    assert order.marketplace_fee == Decimal("150.00")
    assert order.producer_receives == Decimal("2850.00")
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert OrderEvent.objects.filter(order=order, action="created").count() == 1
    assert AuditEvent.objects.filter(action="order.created", target_id=str(order.pk)).exists()
    assert set(Notification.objects.filter(kind="order.created").values_list("recipient", flat=True)) == {
        roaster.pk,
        lot.producer_id,
    }


def test_order_taking_the_rest_reserves_the_lot_and_paying_every_contract_sells_it_out(
    lot: Lot, roaster: Any, second_roaster: Any
) -> None:
    first = make_order(lot, roaster, "100", source_id=1)
    second = make_order(lot, second_roaster, "200", source_id=2)
    lot.refresh_from_db()
    assert lot.status == "reserved"
    assert lot.reserved_kg == lot.weight_kg and lot.sold_kg == 0
    services.order_mark_paid(order=first, by=None)
    lot.refresh_from_db()
    assert lot.status == "reserved" and lot.sold_kg == Decimal("100")
    services.order_mark_paid(order=second, by=None)
    lot.refresh_from_db()
    assert lot.status == "sold_out" and lot.sold_kg == lot.weight_kg


def test_order_larger_than_available_is_refused_and_writes_nothing(lot: Lot, roaster: Any) -> None:
    make_order(lot, roaster, "250", source_id=1)
    with pytest.raises(Conflict):
        make_order(lot, roaster, "51", source_id=2)
    lot.refresh_from_db()
    assert lot.reserved_kg == Decimal("250")
    assert Order.objects.count() == 1


def test_same_source_never_makes_two_orders(lot: Lot, roaster: Any) -> None:
    make_order(lot, roaster, "10", source_id=7)
    with pytest.raises(Conflict):
        make_order(lot, roaster, "10", source_id=7)
    lot.refresh_from_db()
    assert lot.reserved_kg == Decimal("10")


def test_price_agreed_per_lb_is_stored_per_kg_too(lot: Lot, roaster: Any) -> None:
    order = make_order(lot, roaster, "100", price=Decimal("10"), price_unit="lb")
    assert order.price_unit == "lb"
    assert order.price == Decimal("10.0000")
    assert order.price_per_kg == Decimal("22.0462")
    assert order.price_per_lb == Decimal("10.0000")
    assert order.total == Decimal("2204.62")


def test_european_buyer_gets_21_day_claim_window(lot: Lot, roaster: Any, second_roaster: Any) -> None:
    roaster.roaster_profile.country = "US"
    roaster.roaster_profile.save()
    assert make_order(lot, roaster, "10", source_id=1).claim_window_days == 15
    assert make_order(lot, second_roaster, "10", source_id=2).claim_window_days == 21  # DE


def test_only_the_lot_producer_can_sell(lot: Lot, roaster: Any, second_producer: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.order_create(
            lot=lot,
            buyer=roaster,
            seller=second_producer,
            quantity_kg=Decimal(1),
            price_per_kg=Decimal(1),
            currency="USD",
            incoterm="FOB",
            source="negotiation",
            source_id=1,
            by=None,
        )


def test_withdrawn_lot_cannot_be_ordered(lot: Lot, roaster: Any) -> None:
    Lot.objects.filter(pk=lot.pk).update(status="withdrawn")
    with pytest.raises(Conflict):
        make_order(lot, roaster)


def test_full_order_life(lot: Lot, roaster: Any, moderator: Any) -> None:
    order = make_order(lot, roaster)
    with pytest.raises(PermissionDenied):
        services.order_mark_paid(order=order, by=roaster)
    order = services.order_mark_paid(order=order, by=None, reference="pi_1")
    assert order.status == "paid" and order.paid_at
    with pytest.raises(PermissionDenied):
        services.order_ship(order=order, by=roaster, courier="DHL", tracking="1")
    with pytest.raises(ValidationError):
        services.order_ship(order=order, by=lot.producer, courier="", tracking="")
    order = services.order_ship(order=order, by=lot.producer, courier="DHL", tracking="BL-1")
    assert order.status == "shipped"
    with pytest.raises(PermissionDenied):
        services.order_confirm_delivery(order=order, by=lot.producer)
    order = services.order_confirm_delivery(order=order, by=roaster)
    assert order.status == "delivered"
    # Done twice: returns quietly, no second event.
    services.order_confirm_delivery(order=order, by=roaster)
    assert OrderEvent.objects.filter(order=order, action="delivered").count() == 1
    claim = services.claim_open(order=order, by=roaster, description="Phenolic cups")
    with pytest.raises(Conflict):
        services.order_complete(order=order, by=None)
    services.claim_resolve(claim=claim, by=moderator, outcome="allowance", reason="10% allowance agreed")
    claim.refresh_from_db()
    assert claim.status == "resolved"
    with pytest.raises(Conflict):
        services.claim_resolve(claim=claim, by=moderator, outcome="rejected", reason="again")
    order = services.order_complete(order=order, by=moderator)
    assert order.status == "completed"


def test_claim_after_window_is_refused(lot: Lot, roaster: Any) -> None:
    order = make_order(lot, roaster)
    Order.objects.filter(pk=order.pk).update(
        status="delivered", delivered_at=timezone.now() - datetime.timedelta(days=order.claim_window_days + 1)
    )
    with pytest.raises(Conflict):
        services.claim_open(order=order, by=roaster, description="too late")
    assert not QualityClaim.objects.exists()


def test_cancel_gives_quantity_back(lot: Lot, roaster: Any, outsider: Any) -> None:
    order = make_order(lot, roaster, "300")
    lot.refresh_from_db()
    assert lot.status == "reserved"
    with pytest.raises(PermissionDenied):
        services.order_cancel(order=order, by=outsider, reason="mine")
    services.order_cancel(order=order, by=roaster, reason="changed plans")
    lot.refresh_from_db()
    assert lot.reserved_kg == 0 and lot.status == "listed"
    with pytest.raises(Conflict):
        services.order_mark_paid(order=order, by=None)


def test_lot_status_moves_through_the_lots_transition_and_is_audited(lot: Lot, roaster: Any) -> None:
    order = make_order(lot, roaster, "300")
    services.order_mark_paid(order=order, by=None)
    moves = AuditEvent.objects.filter(action="lot.status_changed", target_id=str(lot.pk)).order_by("pk")
    assert [(e.data["from"], e.data["to"], e.data.get("system")) for e in moves] == [
        ("listed", "reserved", True),
        ("reserved", "sold_out", True),
    ]
    assert AuditEvent.objects.filter(action="lot.reservation_changed", target_id=str(lot.pk)).count() == 2


def test_each_claim_notifies_the_seller_and_the_moderators(lot: Lot, roaster: Any, moderator: Any) -> None:
    order = make_order(lot, roaster)
    services.order_mark_paid(order=order, by=None)
    services.order_ship(order=order, by=lot.producer, courier="Maersk", tracking="BL-3")
    services.order_confirm_delivery(order=order, by=roaster)
    first = services.claim_open(order=order, by=roaster, description="Faded")
    with pytest.raises(Conflict):
        services.claim_open(order=order, by=roaster, description="Again, while the first is open")
    services.claim_resolve(claim=first, by=moderator, outcome="rejected", reason="Within contract grade")
    services.claim_open(order=order, by=roaster, description="Moisture 13%")
    assert Notification.objects.filter(recipient=lot.producer, kind="order.claim_opened").count() == 2
    assert Notification.objects.filter(recipient=moderator, kind="claim.opened").count() == 2
    assert Notification.objects.filter(recipient=roaster, kind="order.claim_resolved").count() == 1
