"""Issue 13, "partial sales hide the rest of the lot": a lot with kilograms left stays listed in the
catalogue and shows what is left (catalogue card, lot page, API ``available_kg``). "Reserved" means
nothing is left to sell (every kilogram committed to contracts, some unpaid); "sold out" means
every kilogram is paid for. Offers above what is left are refused; a cancelled contract gives
its kilograms back."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from lots.models import Lot
from marketplace.negotiation import services
from marketplace.negotiation.models import Order
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_lot(producer: Any) -> Lot:
    return LotFactory(producer=producer, weight_kg=Decimal("420.00"), name="Finca Grande Gesha")


def offer(lot: Lot, kg: str) -> dict[str, Any]:
    return {
        "lot": lot.pk,
        "quantity_kg": kg,
        "price": "30.0000",
        "currency": "USD",
        "price_unit": "kg",
        "incoterm": "FOB",
        "incoterm_place": "Buenaventura",
        "expires_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
    }


def contract(api: Any, lot: Lot, roaster: Any, producer: Any, kg: str) -> Order:
    """The roaster offers ``kg``; the producer accepts, both through the API."""
    opened = api(roaster).post("/api/v1/negotiations/", offer(lot, kg), format="json")
    assert opened.status_code == 201, opened.json()
    accepted = api(producer).post(f"/api/v1/negotiations/{opened.json()['id']}/accept/", format="json")
    assert accepted.status_code == 201, accepted.json()
    return Order.objects.get(pk=accepted.json()["id"])


def catalogue_ids(api: Any, user: Any, **params: str) -> dict[int, dict[str, Any]]:
    response = api(user).get("/api/v1/lots/", params)
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["results"]}


def lot_page_as(user: Any, lot: Lot) -> str:
    from django.test import Client

    browser = Client()
    browser.force_login(user, backend="accounts.backends.EmailBackend")
    return browser.get(f"/lots/{lot.pk}/").content.decode()


def test_after_a_100_kg_contract_the_other_320_kg_stay_in_the_catalogue(
    api: Any, client: Any, big_lot: Lot, producer: Any, roaster: Any, second_roaster: Any
) -> None:
    contract(api, big_lot, roaster, producer, "100")
    lot = api(second_roaster).get(f"/api/v1/lots/{big_lot.pk}/").json()
    assert (lot["status"], lot["weight_kg"], lot["available_kg"]) == ("listed", "420.00", "320.00")
    assert catalogue_ids(api, second_roaster)[big_lot.pk]["available_kg"] == "320.00"
    card = client.get("/lots/").content.decode()
    assert f'id="lot-{big_lot.pk}"' in card and "320.00 kg available" in card
    page = client.get(f"/lots/{big_lot.pk}/").content.decode()
    assert 'id="lot-available"' in page and "320.00 kg available" in page
    assert "Make an offer" in lot_page_as(second_roaster, big_lot)


def test_an_offer_above_what_is_left_is_refused_and_one_for_all_of_it_reserves_the_lot(
    api: Any, client: Any, big_lot: Lot, producer: Any, roaster: Any, second_roaster: Any, outsider: Any
) -> None:
    contract(api, big_lot, roaster, producer, "100")
    too_much = api(second_roaster).post("/api/v1/negotiations/", offer(big_lot, "320.01"), format="json")
    assert too_much.status_code == 400 and "quantity_kg" in too_much.json()["extra"]["fields"]
    contract(api, big_lot, second_roaster, producer, "320")
    lot = api(outsider).get(f"/api/v1/lots/{big_lot.pk}/").json()
    assert (lot["status"], lot["available_kg"]) == ("reserved", "0.00")
    # Nothing is left to sell: out of the listed catalogue, found under "reserved".
    assert big_lot.pk not in catalogue_ids(api, outsider)
    assert big_lot.pk in catalogue_ids(api, outsider, status="reserved")
    assert f'id="lot-{big_lot.pk}"' not in client.get("/lots/").content.decode()
    nothing_left = api(outsider).post("/api/v1/negotiations/", offer(big_lot, "1"), format="json")
    assert nothing_left.status_code == 400


def test_the_lot_is_sold_out_only_when_every_kilogram_is_paid_for(
    api: Any, big_lot: Lot, producer: Any, roaster: Any, second_roaster: Any, outsider: Any
) -> None:
    first = contract(api, big_lot, roaster, producer, "100")
    second = contract(api, big_lot, second_roaster, producer, "320")
    services.order_mark_paid(order=second, by=None)
    assert api(outsider).get(f"/api/v1/lots/{big_lot.pk}/").json()["status"] == "reserved"
    services.order_mark_paid(order=first, by=None)
    assert api(outsider).get(f"/api/v1/lots/{big_lot.pk}/").json()["status"] == "sold_out"
    assert big_lot.pk in catalogue_ids(api, outsider, status="sold_out")


def test_cancelling_a_contract_gives_its_kilograms_back_to_the_catalogue(
    api: Any, client: Any, big_lot: Lot, producer: Any, roaster: Any, second_roaster: Any, outsider: Any
) -> None:
    first = contract(api, big_lot, roaster, producer, "100")
    contract(api, big_lot, second_roaster, producer, "320")
    response = api(roaster).post(f"/api/v1/orders/{first.pk}/cancel/", {"reason": "Changed plans"}, format="json")
    assert response.status_code == 200, response.json()
    lot = api(outsider).get(f"/api/v1/lots/{big_lot.pk}/").json()
    assert (lot["status"], lot["available_kg"]) == ("listed", "100.00")
    assert catalogue_ids(api, outsider)[big_lot.pk]["available_kg"] == "100.00"
    assert "100.00 kg available" in client.get("/lots/").content.decode()


def test_a_heavier_lot_is_listed_again_and_a_lighter_one_reserved(
    api: Any, big_lot: Lot, producer: Any, roaster: Any
) -> None:
    contract(api, big_lot, roaster, producer, "420")
    big_lot.refresh_from_db()
    assert big_lot.status == "reserved"
    heavier = api(producer).patch(
        f"/api/v1/lots/{big_lot.pk}/", {"weight_kg": "500", "version": big_lot.version}, format="json"
    )
    assert heavier.status_code == 200, heavier.json()
    assert (heavier.json()["status"], heavier.json()["available_kg"]) == ("listed", "80.00")
    lighter = api(producer).patch(
        f"/api/v1/lots/{big_lot.pk}/", {"weight_kg": "420", "version": heavier.json()["version"]}, format="json"
    )
    assert (lighter.json()["status"], lighter.json()["available_kg"]) == ("reserved", "0.00")
    below = api(producer).patch(
        f"/api/v1/lots/{big_lot.pk}/", {"weight_kg": "419", "version": lighter.json()["version"]}, format="json"
    )
    assert below.status_code == 400
    assert Lot.objects.get(pk=big_lot.pk).weight_kg == Decimal("420.00")
