"""Issue 13, "cancelling a paid order": who may cancel is decided from the order as read under its
row lock. A payment that lands after the page or API read the order, but before the cancel locks
it, leaves the order paid: the buyer or the producer can no longer cancel it (only a moderator,
who then sees the money among the refunds to consider)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.api import OrderViewSet
from marketplace.negotiation.models import Order, OrderEvent, OrderStatus
from marketplace.payments import selectors as payment_selectors
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, PaymentStatus, SubjectKind
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(producer: Any, roaster: Any) -> Order:
    lot = LotFactory(producer=producer)
    return services.order_create(
        lot=lot,
        buyer=roaster,
        seller=producer,
        quantity_kg=Decimal("100"),
        price_per_kg=Decimal("30"),
        currency="USD",
        incoterm="FOB",
        source="negotiation",
        source_id=1,
        by=producer,
    )


def _payment(order: Order, roaster: Any) -> Payment:
    return payments.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)


def _assert_paid_and_kept(order: Order) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not OrderEvent.objects.filter(order=order, action="cancelled").exists()
    lot = Lot.objects.get(pk=order.lot_id)
    assert (lot.reserved_kg, lot.sold_kg) == (Decimal("100.00"), Decimal("100.00"))
    assert Payment.objects.get(subject_id=order.pk).status == PaymentStatus.PAID
    assert payment_selectors.refunds_to_consider() == []


def test_a_payment_landing_after_the_api_read_stops_the_buyers_cancel(
    api: Any, monkeypatch: pytest.MonkeyPatch, order: Order, roaster: Any, moderator: Any
) -> None:
    payment = _payment(order, roaster)
    read = OrderViewSet.get_object

    def read_then_the_payment_lands(self: OrderViewSet) -> Order:
        stale = read(self)
        payments.payment_mark_received(payment=payment, by=moderator)
        return stale

    monkeypatch.setattr(OrderViewSet, "get_object", read_then_the_payment_lands)
    response = api(roaster).post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "Changed my mind"}, format="json")
    assert response.status_code == 403, response.json()
    _assert_paid_and_kept(order)


def test_a_payment_landing_after_the_page_read_stops_the_producers_cancel(
    monkeypatch: pytest.MonkeyPatch, order: Order, roaster: Any, moderator: Any, producer_client: Any
) -> None:
    from marketplace.negotiation import views

    payment = _payment(order, roaster)
    read = views.selectors.order_for

    def read_then_the_payment_lands(*, user: Any, pk: int) -> Order:
        stale = read(user=user, pk=pk)
        payments.payment_mark_received(payment=payment, by=moderator)
        return stale

    monkeypatch.setattr(views.selectors, "order_for", read_then_the_payment_lands)
    response = producer_client.post(f"/trade/orders/{order.pk}/cancel/", {"reason": "Sold elsewhere"})
    assert response.status_code == 403
    _assert_paid_and_kept(order)


def test_a_stale_copy_of_an_order_cannot_cancel_it_once_paid(order: Order, roaster: Any, producer: Any) -> None:
    stale = Order.objects.get(pk=order.pk)
    services.order_mark_paid(order=order, by=None)
    for party in (roaster, producer):
        with pytest.raises(services.PermissionDenied):
            services.order_cancel(order=stale, by=party, reason="too late")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_moderator_cancelling_a_paid_order_gives_its_kilograms_back_and_flags_the_refund(
    order: Order, roaster: Any, moderator: Any
) -> None:
    payment = _payment(order, roaster)
    payments.payment_mark_received(payment=payment, by=moderator)
    assert services.order_cancel(order=order, by=moderator, reason="Fraud").status == OrderStatus.CANCELLED
    lot = Lot.objects.get(pk=order.lot_id)
    assert (lot.status, lot.reserved_kg, lot.sold_kg) == ("listed", Decimal("0.00"), Decimal("0.00"))
    assert [row["payment"].pk for row in payment_selectors.refunds_to_consider()] == [payment.pk]


def test_a_repeated_cancel_by_a_party_is_a_quiet_no_op(api: Any, order: Order, roaster: Any) -> None:
    client = api(roaster)
    assert client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"}, format="json").status_code == 200
    again = client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert OrderEvent.objects.filter(order=order, action="cancelled").count() == 1
    assert Lot.objects.get(pk=order.lot_id).reserved_kg == 0
