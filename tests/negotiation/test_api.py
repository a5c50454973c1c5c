"""REST API: shapes, scoping to the two parties and moderators, refusals, idempotent accept."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.models import Negotiation, Order
from tests.negotiation.conftest import terms

pytestmark = pytest.mark.django_db

NEGOTIATIONS = "/api/v1/negotiations/"


def first_offer(lot: Lot, **overrides: Any) -> dict[str, Any]:
    body = {
        "lot": lot.pk,
        "quantity_kg": "100.00",
        "price": "12.5000",
        "currency": "USD",
        "price_unit": "lb",
        "incoterm": "FOB",
        "incoterm_place": "Buenaventura",
        "shipment_window": "Q1 2027",
        "condition": "Subject to pre-shipment sample approval",
        "expires_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
    }
    body.update(overrides)
    return body


def test_roaster_opens_a_negotiation_with_the_first_offer(api: Any, roaster: Any, lot: Lot) -> None:
    r = api(roaster).post(NEGOTIATIONS, first_offer(lot), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "open" and body["turn"] == "seller"
    offer = body["current_offer"]
    assert offer["price"] == "12.5000" and offer["price_unit"] == "lb"
    assert offer["price_per_kg"] == "27.5578" and offer["price_per_lb"] == "12.5000"
    assert offer["condition"] == "Subject to pre-shipment sample approval"
    assert [e["action"] for e in body["events"]] == ["opened"]


def test_opening_with_too_much_quantity_is_a_field_error(api: Any, roaster: Any, lot: Lot) -> None:
    r = api(roaster).post(NEGOTIATIONS, first_offer(lot, quantity_kg="301"), format="json")
    assert r.status_code == 400
    assert "quantity_kg" in r.json()["extra"]["fields"]


def test_anonymous_and_other_roles_cannot_open(api: Any, lot: Lot, producer: Any, q_grader: Any) -> None:
    assert api(None).post(NEGOTIATIONS, first_offer(lot), format="json").status_code in (401, 403)
    assert api(q_grader).post(NEGOTIATIONS, first_offer(lot), format="json").status_code == 403
    assert api(producer).post(NEGOTIATIONS, first_offer(lot), format="json").status_code == 403
    assert not Negotiation.objects.exists()


def test_only_the_two_parties_and_moderators_see_a_negotiation(
    api: Any,
    open_negotiation: Negotiation,
    roaster: Any,
    producer: Any,
    moderator: Any,
    outsider: Any,
    second_producer: Any,
) -> None:
    url = f"{NEGOTIATIONS}{open_negotiation.pk}/"
    for user in (roaster, producer, moderator):
        assert api(user).get(url).status_code == 200
        assert api(user).get(NEGOTIATIONS).json()["count"] == 1
    for user in (outsider, second_producer):
        assert api(user).get(url).status_code == 404
        assert api(user).get(NEGOTIATIONS).json()["count"] == 0
    assert api(None).get(url).status_code in (401, 403)
    assert api(None).get(NEGOTIATIONS).status_code in (401, 403)


def test_outsider_cannot_act_on_someone_elses_negotiation(
    api: Any, open_negotiation: Negotiation, outsider: Any
) -> None:
    for action in ("accept", "reject", "withdraw"):
        assert (
            api(outsider).post(f"{NEGOTIATIONS}{open_negotiation.pk}/{action}/", {}, format="json").status_code == 404
        )
    r = api(outsider).post(
        f"{NEGOTIATIONS}{open_negotiation.pk}/counter/", first_offer(open_negotiation.lot), format="json"
    )
    assert r.status_code == 404
    open_negotiation.refresh_from_db()
    assert open_negotiation.status == "open"


def test_moderator_can_read_but_not_move(api: Any, open_negotiation: Negotiation, moderator: Any) -> None:
    assert api(moderator).post(f"{NEGOTIATIONS}{open_negotiation.pk}/accept/", {}, format="json").status_code == 403


def test_counter_then_accept_over_the_api(
    api: Any, open_negotiation: Negotiation, producer: Any, roaster: Any, lot: Lot
) -> None:
    url = f"{NEGOTIATIONS}{open_negotiation.pk}/"
    counter = first_offer(lot, price="29.0000", price_unit="kg")
    counter.pop("lot")
    r = api(producer).post(url + "counter/", counter, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["turn"] == "buyer" and r.json()["current_offer"]["seq"] == 2
    # Out of turn: the producer cannot accept its own counter.
    r = api(producer).post(url + "accept/", {}, format="json")
    assert r.status_code == 409 and r.json()["message"]
    r = api(roaster).post(url + "accept/", {}, format="json")
    assert r.status_code == 201, r.json()
    order = r.json()
    assert order["status"] == "awaiting_payment"
    assert order["quantity_kg"] == "100.00" and order["total"] == "2900.00"
    assert order["marketplace_fee"] == "145.00" and order["producer_receives"] == "2755.00"
    # Already accepted: a second accept is a clear conflict.
    r = api(roaster).post(url + "accept/", {}, format="json")
    assert r.status_code == 409
    assert api(roaster).get("/api/v1/orders/").json()["count"] == 1


def test_accept_with_the_same_idempotency_key_replays_the_first_order(
    api: Any, open_negotiation: Negotiation, producer: Any, lot: Lot
) -> None:
    client = api(producer)
    url = f"{NEGOTIATIONS}{open_negotiation.pk}/accept/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="accept-abc")
    second = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="accept-abc")
    assert first.status_code == 201 and second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    lot.refresh_from_db()
    assert lot.reserved_kg == Decimal("100")
    # A different key is a new request, refused because it is already accepted.
    assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="accept-other").status_code == 409


def test_reject_and_withdraw_over_the_api(api: Any, lot: Lot, roaster: Any, second_roaster: Any, producer: Any) -> None:
    a = services.negotiation_open(lot=lot, by=roaster, **terms())
    b = services.negotiation_open(lot=lot, by=second_roaster, **terms())
    r = api(producer).post(f"{NEGOTIATIONS}{a.pk}/reject/", {"note": "Too low"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert api(producer).post(f"{NEGOTIATIONS}{b.pk}/withdraw/", {}, format="json").status_code == 403
    r = api(second_roaster).post(f"{NEGOTIATIONS}{b.pk}/withdraw/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_samples_api_full_flow_and_scoping(api: Any, lot: Lot, roaster: Any, producer: Any, outsider: Any) -> None:
    r = api(roaster).post(
        "/api/v1/samples/", {"lot": lot.pk, "sample_type": "pre_shipment", "grams": 300}, format="json"
    )
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    url = f"/api/v1/samples/{sid}/"
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).post(url + "accept/", {}, format="json").status_code == 404
    assert api(roaster).post(url + "accept/", {}, format="json").status_code == 403
    assert api(producer).post(url + "accept/", {}, format="json").json()["status"] == "accepted"
    r = api(producer).post(url + "ship/", {"courier": "DHL", "tracking": "JD1"}, format="json")
    assert r.json()["status"] == "shipped"
    assert api(roaster).post(url + "arrived/", {}, format="json").json()["feedback_due_at"]
    r = api(roaster).post(url + "feedback/", {"score": "86.50", "notes": "Stone fruit"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "feedback"
    assert api(producer).get("/api/v1/samples/").json()["count"] == 1
    assert api(outsider).get("/api/v1/samples/").json()["count"] == 0


def test_orders_api_ship_deliver_claim(
    api: Any, open_negotiation: Negotiation, producer: Any, roaster: Any, outsider: Any
) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    url = f"/api/v1/orders/{order.pk}/"
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).get("/api/v1/orders/").json()["count"] == 0
    # Not paid yet: shipping is refused.
    assert api(producer).post(url + "ship/", {"courier": "Maersk", "tracking": "BL1"}, format="json").status_code == 409
    services.order_mark_paid(order=order, by=None)
    assert api(roaster).post(url + "ship/", {"courier": "Maersk", "tracking": "BL1"}, format="json").status_code == 403
    assert (
        api(producer).post(url + "ship/", {"courier": "Maersk", "tracking": "BL1"}, format="json").json()["status"]
        == "shipped"
    )
    assert api(roaster).post(url + "confirm-delivery/", {}, format="json").json()["status"] == "delivered"
    r = api(roaster).post(url + "claim/", {"description": "Moisture 13.5%"}, format="json")
    assert r.status_code == 201 and r.json()["claims"][0]["status"] == "open"


def _count_queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_endpoints_make_no_query_per_row(api: Any, producer: Any, roaster: Any) -> None:
    from tests.factories import LotFactory, RoasterFactory

    client = api(producer)

    def grow() -> None:
        lot = LotFactory(producer=producer)
        n = services.negotiation_open(lot=lot, by=RoasterFactory(), **terms(quantity_kg=Decimal("10")))
        services.negotiation_counter(negotiation=n, by=producer, **terms(quantity_kg=Decimal("10")))
        services.sample_request(lot=lot, by=roaster, kind="offer", grams=200)
        other = services.negotiation_open(lot=lot, by=roaster, **terms(quantity_kg=Decimal("10")))
        services.negotiation_accept(negotiation=other, by=producer)

    grow()
    small = {u: _count_queries(client, u) for u in (NEGOTIATIONS, "/api/v1/samples/", "/api/v1/orders/")}
    for _ in range(4):
        grow()
    large = {u: _count_queries(client, u) for u in small}
    assert large == small


def test_cancel_over_the_api_gives_the_quantity_back(
    api: Any, open_negotiation: Negotiation, producer: Any, roaster: Any, outsider: Any, lot: Lot
) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    url = f"/api/v1/orders/{order.pk}/cancel/"
    assert api(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api(roaster).post(url, {"reason": ""}, format="json").status_code == 400
    r = api(roaster).post(url, {"reason": "Budget cut"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    lot.refresh_from_db()
    assert lot.reserved_kg == 0 and lot.status == "listed"


def test_producer_sets_the_sample_price_over_the_api(api: Any, producer: Any, roaster: Any, lot: Lot) -> None:
    url = "/api/v1/sample-price/"
    assert api(producer).get(url).json() == {"fee": "0.00", "currency": "USD"}
    assert api(producer).put(url, {"fee": "-1", "currency": "USD"}, format="json").status_code == 400
    assert api(producer).put(url, {"fee": "22.50", "currency": "EUR"}, format="json").json() == {
        "fee": "22.50",
        "currency": "EUR",
    }
    assert api(roaster).put(url, {"fee": "1", "currency": "USD"}, format="json").status_code == 403
    assert api(None).get(url).status_code in (401, 403)
    r = api(roaster).post("/api/v1/samples/", {"lot": lot.pk, "grams": 250}, format="json")
    assert r.json()["fee"] == "22.50" and r.json()["currency"] == "EUR"


def test_money_travels_as_strings_not_floats(api: Any, roaster: Any, lot: Lot) -> None:
    r = api(roaster).post(NEGOTIATIONS, first_offer(lot, price=12.5), format="json")
    assert r.status_code == 400 and "price" in r.json()["extra"]["fields"]
    assert not Negotiation.objects.exists()
