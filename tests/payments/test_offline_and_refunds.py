"""Offline (bank transfer) mode end to end, refunds that never exceed what was paid, the lot's
payment terms, and who may do what (the outsider and anonymous users are refused)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.errors import Conflict
from marketplace.negotiation.models import Order, OrderStatus
from marketplace.payments import services
from marketplace.payments.models import LotPaymentTerms, Payment, PaymentKind, PaymentStatus, PayoutEntry, SubjectKind

pytestmark = pytest.mark.django_db


def open_order_payment(order: Any, roaster: Any) -> Payment:
    return services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)


def test_offline_mode_end_to_end_through_the_pages(
    order: Any, roaster_client: Any, moderator_client: Any, producer_client: Any
) -> None:
    # The roaster opens the payment: bank-transfer instructions with a stable reference.
    response = roaster_client.post("/payments/open/", {"subject_kind": "order", "subject_id": order.pk})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.provider == "offline" and payment.status == PaymentStatus.PENDING
    page = roaster_client.get(response.url)
    assert payment.intent_id in page.content.decode()
    assert b"bank-transfer" in page.content
    # A moderator records the transfer; the order becomes paid and the producer is credited.
    response = moderator_client.post(
        f"/payments/{payment.public_id}/received/", {"amount": "3000.00", "reference": "WIRE-1"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    ledger = producer_client.get("/payments/").content.decode()
    assert str(payment.producer_amount) in ledger.replace(",", "")
    # Marking it again changes nothing.
    moderator_client.post(f"/payments/{payment.public_id}/received/", {"amount": "3000.00"})
    assert PayoutEntry.objects.count() == 1
    # Offline refund, recorded by the moderator.
    response = moderator_client.post(
        f"/payments/{payment.public_id}/refund/", {"amount": "3000.00", "reason": "cancelled"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert sum(e.signed_amount for e in PayoutEntry.objects.all()) == Decimal("0.00")


def test_refunds_never_exceed_what_was_paid(order: Any, roaster: Any, moderator: Any) -> None:
    payment = open_order_payment(order, roaster)
    services.payment_mark_received(payment=payment, by=moderator)
    services.refund_create(payment=payment, by=moderator, amount=Decimal("2000.00"))
    with pytest.raises(ValidationError) as info:
        services.refund_create(payment=payment, by=moderator, amount=Decimal("1000.01"))
    assert "1000.00" in str(info.value)
    services.refund_create(payment=payment, by=moderator, amount=Decimal("1000.00"))
    with pytest.raises(ValidationError):
        services.refund_create(payment=payment, by=moderator, amount=Decimal("0.01"))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, Decimal("3000.00"))


def test_the_database_refuses_a_refund_total_above_the_paid_amount(order: Any, roaster: Any, moderator: Any) -> None:
    payment = open_order_payment(order, roaster)
    services.payment_mark_received(payment=payment, by=moderator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=Decimal("3000.01"))


def test_a_refund_form_error_is_shown_on_the_field_and_writes_nothing(
    order: Any, roaster: Any, moderator: Any, moderator_client: Any
) -> None:
    payment = open_order_payment(order, roaster)
    services.payment_mark_received(payment=payment, by=moderator)
    response = moderator_client.post(f"/payments/{payment.public_id}/refund/", {"amount": "5000"})
    assert response.status_code == 400
    assert "can be refunded" in response.content.decode()
    assert not payment.refunds.exists()


def test_nothing_paid_nothing_to_refund(order: Any, roaster: Any, moderator: Any) -> None:
    payment = open_order_payment(order, roaster)
    with pytest.raises(Conflict):
        services.refund_create(payment=payment, by=moderator, amount=Decimal("1"))


def test_a_deposit_pays_the_order_and_the_balance_follows(
    order: Any, roaster: Any, moderator: Any, producer: Any
) -> None:
    services.lot_terms_set(lot=order.lot, by=producer, mode="deposit")
    deposit = open_order_payment(order, roaster)
    assert (deposit.kind, deposit.amount) == (PaymentKind.DEPOSIT, Decimal("900.00"))
    with pytest.raises(Conflict):
        services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk, kind=PaymentKind.BALANCE)
    services.payment_mark_received(payment=deposit, by=moderator)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    balance = services.payment_open(
        by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk, kind=PaymentKind.BALANCE
    )
    assert balance.amount == Decimal("2100.00")


def test_a_free_sample_has_nothing_to_pay(sample: Any, roaster: Any) -> None:
    sample.fee = Decimal("0")
    sample.save()
    with pytest.raises(ValidationError):
        services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)


# --- Permissions ------------------------------------------------------------------------------


def test_only_the_buyer_pays(order: Any, outsider: Any, producer: Any, moderator: Any) -> None:
    for user in (outsider, producer, moderator):
        with pytest.raises(PermissionDenied):
            services.payment_open(by=user, subject_kind=SubjectKind.ORDER, subject_id=order.pk)


def test_only_moderators_refund_or_record_transfers(
    order: Any, roaster: Any, moderator: Any, outsider: Any, producer: Any
) -> None:
    payment = open_order_payment(order, roaster)
    for user in (outsider, roaster, producer):
        with pytest.raises(PermissionDenied):
            services.payment_mark_received(payment=payment, by=user)
    services.payment_mark_received(payment=payment, by=moderator)
    for user in (outsider, roaster, producer):
        with pytest.raises(PermissionDenied):
            services.refund_create(payment=payment, by=user, amount=Decimal("1"))


def test_outsider_and_anonymous_are_refused_on_every_page(
    order: Any, roaster: Any, outsider_client: Any, anon_client: Any, q_grader_client: Any
) -> None:
    payment = open_order_payment(order, roaster)
    pages = ["detail", "pay", "return"]
    for name in pages:
        url = f"/payments/{payment.public_id}/{name + '/' if name != 'detail' else ''}"
        assert outsider_client.get(url).status_code == 404
        assert anon_client.get(url).status_code == 302
    assert outsider_client.post(f"/payments/{payment.public_id}/refund/", {"amount": "1"}).status_code == 403
    assert outsider_client.post(f"/payments/{payment.public_id}/received/", {"amount": "1"}).status_code == 403
    assert (
        outsider_client.post(
            f"/payments/{payment.public_id}/confirm/", "{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert outsider_client.post("/payments/open/", {"subject_kind": "order", "subject_id": order.pk}).status_code == 403
    assert not Payment.objects.filter(payer__email="outsider@example.test").exists()
    assert anon_client.get("/payments/").status_code == 302
    assert q_grader_client.get("/payments/").status_code == 403


def test_only_the_producer_of_the_lot_sets_its_terms(
    lot: Any, producer: Any, second_producer: Any, second_producer_client: Any, producer_client: Any
) -> None:
    assert second_producer_client.post(f"/payments/lots/{lot.pk}/terms/", {"mode": "deposit"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.lot_terms_set(lot=lot, by=second_producer, mode="deposit")
    assert not LotPaymentTerms.objects.exists()
    assert producer_client.post(f"/payments/lots/{lot.pk}/terms/", {"mode": "deposit"}).status_code == 302
    assert LotPaymentTerms.objects.get(lot=lot).mode == "deposit"


# --- API --------------------------------------------------------------------------------------


def test_api_open_is_idempotent_and_lists_are_scoped(
    api: Any, order: Any, roaster: Any, outsider: Any, producer: Any, moderator: Any
) -> None:
    body = {"subject_kind": "order", "subject_id": order.pk}
    first = api(roaster).post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    second = api(roaster).post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == 201 and second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert Payment.objects.count() == 1
    assert first.json()["fee_amount"] == str(order.marketplace_fee)
    assert api(roaster).get("/api/v1/payments/").json()["count"] == 1
    assert api(producer).get("/api/v1/payments/").json()["count"] == 1
    assert api(moderator).get("/api/v1/payments/").json()["count"] == 1
    assert api(outsider).get("/api/v1/payments/").json()["count"] == 0
    assert api(outsider).get(f"/api/v1/payments/{first.json()['id']}/").status_code == 404
    assert api(None).get("/api/v1/payments/").status_code in (401, 403)
    assert api(outsider).post("/api/v1/payments/", body, format="json").status_code == 403


def test_api_refunds_are_for_moderators_only(api: Any, order: Any, roaster: Any, moderator: Any, outsider: Any) -> None:
    payment = open_order_payment(order, roaster)
    url = f"/api/v1/payments/{payment.public_id}"
    assert api(roaster).post(f"{url}/received/", {}, format="json").status_code == 403
    assert api(moderator).post(f"{url}/received/", {}, format="json").status_code == 200
    assert api(outsider).post(f"{url}/refunds/", {"amount": "1.00"}, format="json").status_code == 404
    assert api(roaster).post(f"{url}/refunds/", {"amount": "1.00"}, format="json").status_code == 403
    assert api(None).post(f"{url}/refunds/", {"amount": "1.00"}, format="json").status_code in (401, 403)
    too_much = api(moderator).post(f"{url}/refunds/", {"amount": "3000.01"}, format="json")
    assert too_much.status_code == 400
    ok = api(moderator).post(f"{url}/refunds/", {"amount": "100.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    replay = api(moderator).post(f"{url}/refunds/", {"amount": "100.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert ok.status_code == 201 and replay.status_code == 201
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("100.00")
    assert api(producer := payment.payee).get("/api/v1/payments/ledger/").json()["count"] == 2
    assert api(roaster).get("/api/v1/payments/ledger/").status_code == 403
    assert producer.pk == order.seller_id


def test_changing_the_terms_later_cannot_open_a_second_up_front_payment(
    order: Any, roaster: Any, producer: Any
) -> None:
    full = open_order_payment(order, roaster)
    services.lot_terms_set(lot=order.lot, by=producer, mode="deposit")
    assert open_order_payment(order, roaster).pk == full.pk
    with pytest.raises(ValidationError):
        services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk, kind=PaymentKind.DEPOSIT)
    with pytest.raises(Conflict):
        services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk, kind=PaymentKind.BALANCE)
    assert Payment.objects.count() == 1


def test_moderators_see_paid_money_on_cancelled_orders_to_refund(
    order: Any, roaster: Any, moderator: Any, moderator_client: Any
) -> None:
    from marketplace.negotiation import services as negotiation

    payment = open_order_payment(order, roaster)
    services.payment_mark_received(payment=payment, by=moderator)
    assert (
        f"/payments/{payment.public_id}/"
        not in moderator_client.get("/payments/")
        .content.decode()
        .split('id="refund-candidates"')[1]
        .split("</section>")[0]
    )
    negotiation.order_cancel(order=Order.objects.get(pk=order.pk), by=moderator, reason="Buyer withdrew")
    section = (
        moderator_client.get("/payments/").content.decode().split('id="refund-candidates"')[1].split("</section>")[0]
    )
    assert f"/payments/{payment.public_id}/" in section
    services.refund_create(payment=payment, by=moderator, amount=Decimal("3000.00"))
    section = (
        moderator_client.get("/payments/").content.decode().split('id="refund-candidates"')[1].split("</section>")[0]
    )
    assert f"/payments/{payment.public_id}/" not in section


def test_the_balance_is_the_rest_of_the_deposit_actually_paid(
    order: Any, roaster: Any, moderator: Any, producer: Any, monkeypatch: Any
) -> None:
    from marketplace.payments import conf

    services.lot_terms_set(lot=order.lot, by=producer, mode="deposit")
    deposit = open_order_payment(order, roaster)
    services.payment_mark_received(payment=deposit, by=moderator)
    monkeypatch.setattr(conf, "DEPOSIT_PERCENT", Decimal("50"))  # the setting changes meanwhile
    balance = services.payment_open(
        by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk, kind=PaymentKind.BALANCE
    )
    assert deposit.amount + balance.amount == order.total
    assert deposit.fee_amount + balance.fee_amount == order.marketplace_fee
