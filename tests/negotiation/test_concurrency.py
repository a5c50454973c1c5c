"""Races on PostgreSQL: many acceptances on one lot at the same moment never oversell it."""

from __future__ import annotations

import time
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from core.errors import Conflict
from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.models import Negotiation, NegotiationEvent, Order, OrderEvent
from tests.concurrency import run_concurrently
from tests.factories import LotFactory, ProducerFactory, RoasterFactory
from tests.negotiation.conftest import terms

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_email(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record e-mail enqueues instead of talking to a broker from eight threads."""
    sent: list[int] = []
    from core import tasks

    monkeypatch.setattr(tasks.send_notification_email, "delay_on_commit", lambda pk: sent.append(pk))
    return sent


def test_eight_simultaneous_accepts_never_oversell_the_lot(require_postgres: None, no_email: list[int]) -> None:
    producer = ProducerFactory()
    lot = LotFactory(producer=producer, weight_kg=Decimal("300"))
    # Eight roasters offer 70 kg each: 560 kg on a 300 kg lot, so at most four can win.
    negotiations = [
        services.negotiation_open(lot=lot, by=RoasterFactory(), **terms(quantity_kg=Decimal("70"))) for _ in range(8)
    ]
    results = run_concurrently([partial(services.negotiation_accept, negotiation=n, by=producer) for n in negotiations])

    winners = [r for r in results if r[0] == "ok"]
    losers = [r for r in results if r[0] == "err"]
    assert len(winners) == 4
    assert len(losers) == 4
    assert all(isinstance(e, Conflict) for _, e in losers), [repr(e) for _, e in losers]

    lot = Lot.objects.get(pk=lot.pk)
    assert lot.reserved_kg == Decimal("280") <= lot.weight_kg
    # 20 kg are left to sell: the lot stays listed (issue 13: a partial contract never hides the rest).
    assert lot.status == "listed" and lot.available_kg == Decimal("20")
    assert Order.objects.filter(lot=lot).count() == 4
    assert sum(o.quantity_kg for o in Order.objects.filter(lot=lot)) == lot.reserved_kg
    # Nothing half-written: every accepted negotiation has exactly one order and one event, the rest none.
    accepted = Negotiation.objects.filter(lot=lot, status="accepted")
    assert accepted.count() == 4
    assert set(Order.objects.values_list("source_id", flat=True)) == set(accepted.values_list("pk", flat=True))
    assert NegotiationEvent.objects.filter(action="accepted").count() == 4
    still_open = Negotiation.objects.filter(lot=lot, status="open")
    assert still_open.count() == 4
    # … and each loser was told its offer no longer fits the 20 kg left.
    assert all(n.no_longer_fits_at is not None for n in still_open)
    assert NegotiationEvent.objects.filter(action="no_longer_fits").count() == 4


def test_accept_and_withdraw_at_once_leave_one_consistent_outcome(require_postgres: None, no_email: list[int]) -> None:
    for _ in range(3):
        producer, roaster = ProducerFactory(), RoasterFactory()
        lot = LotFactory(producer=producer)
        n = services.negotiation_open(lot=lot, by=roaster, **terms())
        results = run_concurrently(
            [
                partial(services.negotiation_accept, negotiation=n, by=producer),
                partial(services.negotiation_withdraw, negotiation=n, by=roaster),
            ]
        )
        assert sorted(r[0] for r in results) == ["err", "ok"]
        assert all(isinstance(r[1], Conflict) for r in results if r[0] == "err")
        n.refresh_from_db()
        lot.refresh_from_db()
        if n.status == "accepted":
            assert lot.reserved_kg == Decimal("100") and Order.objects.filter(source_id=n.pk).exists()
        else:
            assert n.status == "withdrawn"
            assert lot.reserved_kg == 0 and not Order.objects.filter(source_id=n.pk).exists()


def test_a_double_submitted_counter_makes_one_offer(require_postgres: None, no_email: list[int]) -> None:
    producer, roaster = ProducerFactory(), RoasterFactory()
    lot = LotFactory(producer=producer)
    n = services.negotiation_open(lot=lot, by=roaster, **terms())
    results = run_concurrently(
        [
            partial(services.negotiation_counter, negotiation=n, by=producer, **terms(price=Decimal("31")))
            for _ in range(4)
        ]
    )
    assert sorted(r[0] for r in results) == ["err", "err", "err", "ok"]
    assert all(isinstance(r[1], Conflict) for r in results if r[0] == "err")
    n.refresh_from_db()
    assert n.offers.count() == 2 and n.turn == "buyer"
    assert NegotiationEvent.objects.filter(negotiation=n, action="countered").count() == 1


def test_concurrent_cancel_and_accept_on_one_lot_keep_the_reservation_exact(
    require_postgres: None, no_email: list[int]
) -> None:
    producer = ProducerFactory()
    lot = LotFactory(producer=producer, weight_kg=Decimal("300"))
    first = services.negotiation_open(lot=lot, by=RoasterFactory(), **terms(quantity_kg=Decimal("200")))
    order = services.negotiation_accept(negotiation=first, by=producer)
    second = services.negotiation_open(lot=lot, by=RoasterFactory(), **terms(quantity_kg=Decimal("100")))
    results = run_concurrently(
        [
            partial(services.order_cancel, order=order, by=producer, reason="Buyer asked"),
            partial(services.negotiation_accept, negotiation=second, by=producer),
        ]
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    lot = Lot.objects.get(pk=lot.pk)
    assert lot.reserved_kg == Decimal("100") and lot.status == "listed"


def test_a_cancel_racing_the_payment_never_cancels_a_paid_order_without_a_refund(
    require_postgres: None, no_email: list[int]
) -> None:
    """Issue 13: the buyer cancels from a copy of the order read while it awaited payment, and the
    bank transfer is recorded at the same moment. Decided under the lock, one of two things
    happens: the payment comes first and the cancel is refused (the order stays paid), or the
    cancel comes first and the money that lands on the cancelled order is held for a refund."""
    from django.core.exceptions import PermissionDenied

    from marketplace.payments import selectors as payment_selectors
    from marketplace.payments import services as payments
    from marketplace.payments.models import PaymentStatus, SubjectKind
    from tests.factories import ModeratorFactory

    moderator = ModeratorFactory()
    for n in range(8):
        producer, roaster = ProducerFactory(), RoasterFactory()
        lot = LotFactory(producer=producer, weight_kg=Decimal("300"))
        order = services.order_create(
            lot=lot,
            buyer=roaster,
            seller=producer,
            quantity_kg=Decimal("100"),
            price_per_kg=Decimal("30"),
            currency="USD",
            incoterm="FOB",
            source="negotiation",
            source_id=lot.pk,
            by=producer,
        )
        payment = payments.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
        stale = Order.objects.get(pk=order.pk)  # what the buyer's page read: awaiting payment

        def cancel_a_moment_later(stale: Order = stale, roaster: Any = roaster, pause: float = 0.02 * (n % 4)) -> Any:
            # Staggered starts vary which side reaches the lot lock first; nothing is asserted on time.
            time.sleep(pause)
            return services.order_cancel(order=stale, by=roaster, reason="Changed my mind")

        cancel, paid = run_concurrently(
            [cancel_a_moment_later, partial(payments.payment_mark_received, payment=payment, by=moderator)]
        )
        assert paid[0] == "ok", paid
        order.refresh_from_db()
        lot.refresh_from_db()
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PAID
        cancelled = OrderEvent.objects.filter(order=order, action="cancelled")
        if order.status == "paid":
            assert cancel[0] == "err" and isinstance(cancel[1], PermissionDenied), cancel
            assert not cancelled.exists()
            assert (lot.reserved_kg, lot.sold_kg) == (Decimal("100.00"), Decimal("100.00"))
            assert payment.pk not in {row["payment"].pk for row in payment_selectors.refunds_to_consider()}
        else:
            assert cancel[0] == "ok" and order.status == "cancelled", cancel
            # Cancelled while it awaited payment, never from paid by a party …
            assert [e.data["from"] for e in cancelled] == ["awaiting_payment"]
            assert (lot.reserved_kg, lot.sold_kg, lot.status) == (Decimal("0.00"), Decimal("0.00"), "listed")
            # … and the money that arrived on the cancelled order waits for a moderator's refund.
            assert payment.pk in {row["payment"].pk for row in payment_selectors.refunds_to_consider()}
