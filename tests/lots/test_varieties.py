"""Issue 14, varieties (DOMAIN.md §8): typed names matched to the canonical list, confirmed by the
producer, mapped by moderators; F1 hybrid is a family, "Landrace" alone names no origin, colour
forms are varieties of their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lots.models import Lot, UnlistedVariety
from tests.lots.conftest import lot_data
from tests.lots.test_api import new_lot_body

pytestmark = pytest.mark.django_db


def create(client: Any, variety: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/lots/", new_lot_body(variety=variety, **extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def list_lot(lot_id: int, producer: Any) -> None:
    Lot.objects.filter(pk=lot_id).update(status="listed")


def catalogue_ids(client: Any, slug: str) -> list[int]:
    return [r["id"] for r in client.get("/api/v1/lots/", {"variety": slug}).json()["results"]]


def test_a_misspelt_variety_is_offered_its_match_and_confirming_puts_it_in_the_filter(api, producer):
    """DOMAIN.md §8: "pink borbon" is Pink Bourbon, once the producer confirms it."""
    client = api(producer)
    lot = create(client, "pink borbon")
    assert (lot["variety"], lot["variety_as_declared"]) == (None, "pink borbon")
    assert (lot["variety_suggestion"], lot["variety_needs_confirmation"]) == ("Pink Bourbon", True)
    assert lot["variety_note"] == "Did you mean Pink Bourbon?"
    list_lot(lot["id"], producer)
    assert catalogue_ids(api(None), "pink-bourbon") == []
    response = client.patch(
        f"/api/v1/lots/{lot['id']}/", {"variety_match": "accept", "version": lot["version"]}, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["variety"], data["variety_status"], data["variety_as_declared"]) == (
        "Pink Bourbon",
        "confirmed",
        "pink borbon",
    )
    assert catalogue_ids(api(None), "pink-bourbon") == [lot["id"]]


def test_the_match_can_be_accepted_in_the_same_request(api, producer):
    lot = create(api(producer), "pink borbon", variety_match="accept")
    assert (lot["variety"], lot["variety_status"]) == ("Pink Bourbon", "confirmed")


def test_keeping_an_unknown_name_stores_it_unmapped_for_moderators(api, producer):
    lot = create(api(producer), "pink borbon", variety_match="keep")
    assert (lot["variety"], lot["variety_status"], lot["variety_suggestion"]) == (None, "unmapped", None)
    assert UnlistedVariety.objects.get(key="pink borbon").variety is None


def test_confirming_without_a_suggestion_is_refused(api, producer):
    client = api(producer)
    lot = create(client, "Geisha")
    response = client.patch(f"/api/v1/lots/{lot['id']}/", {"variety_match": "accept", "version": 1}, format="json")
    assert response.status_code == 400
    assert "variety_match" in response.json()["extra"]["fields"]


def test_a_moderator_maps_a_kept_name_in_the_admin_and_the_catalogue_follows(api, producer, admin_client):
    client = api(producer)
    lot = create(client, "Rosado de Huila")
    assert lot["variety_status"] == "unmapped"
    list_lot(lot["id"], producer)
    unlisted = UnlistedVariety.objects.get(key="rosado de huila")
    from lots.models import Variety

    pink = Variety.objects.get(name="Pink Bourbon")
    url = reverse("admin:lots_unlistedvariety_change", args=[unlisted.pk])
    assert admin_client.get(reverse("admin:lots_unlistedvariety_changelist")).status_code == 200
    response = admin_client.post(url, {"variety": pink.pk})
    assert response.status_code == 302
    assert Lot.objects.get(pk=lot["id"]).variety == pink
    assert Lot.objects.get(pk=lot["id"]).variety_status == "mapped"
    assert catalogue_ids(api(None), "pink-bourbon") == [lot["id"]]
    # The name is an alias now: the next lot typed that way matches at once.
    again = create(client, "Rosado de Huila", code="API-2")
    assert (again["variety"], again["variety_status"]) == ("Pink Bourbon", "matched")


def test_the_lot_page_asks_did_you_mean_and_the_answer_sticks(producer, producer_client, farm, plot):
    data = {
        **{k: v for k, v in lot_data(variety="pink borbon").items() if v is not None},
        "farm": farm.pk,
        "plots": [plot.pk],
    }
    response = producer_client.post(reverse("lots:create"), data)
    assert response.status_code == 302
    lot = Lot.objects.get(code="M-01")
    page = producer_client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert "Did you mean Pink Bourbon?" in page and 'value="accept"' in page
    response = producer_client.post(
        reverse("lots:variety_answer", args=[lot.pk]), {"answer": "accept", "version": lot.version}
    )
    assert response.status_code == 302
    lot.refresh_from_db()
    assert (lot.variety.name, lot.variety_status) == ("Pink Bourbon", "confirmed")
    # Saving the form again with the same spelling keeps the confirmed variety.
    edit = producer_client.get(reverse("lots:edit", args=[lot.pk])).context["form"].initial
    data.update(version=edit["version"])
    assert producer_client.post(reverse("lots:edit", args=[lot.pk]), data).status_code == 302
    lot.refresh_from_db()
    assert (lot.variety.name, lot.variety_status) == ("Pink Bourbon", "confirmed")


def test_f1_hybrid_is_a_family_not_centroamericano(api, producer):
    """DOMAIN.md §8: F1 hybrids (Centroamericano, Starmaya, Mundo Maya…) are a family."""
    lot = create(api(producer), "F1 hybrid")
    assert (lot["variety"], lot["variety_status"]) == (None, "unmapped")
    assert lot["variety_note"] == "F1 hybrid is a family of varieties: name the variety if you know it."
    match = api(None).get("/api/v1/varieties/match/", {"name": "f1 hybrid"}).json()
    assert match["variety"] is None and match["family"] == "F1 hybrid"
    assert {"Centroamericano", "Starmaya", "Mundo Maya"} <= set(match["members"])
    assert create(api(producer), "H1", code="API-2")["variety"] == "Centroamericano"


def test_landrace_alone_is_not_ethiopian_landrace_but_heirloom_is(api, producer):
    """DOMAIN.md §8: Ethiopian landraces are sold as "heirloom"; "landrace" names no origin."""
    client = api(producer)
    lot = create(client, "Landrace")
    assert (lot["variety"], lot["variety_suggestion"]) == (None, None)
    assert create(client, "Heirloom", code="API-2")["variety"] == "Ethiopian landrace"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Caturra Amarillo", "Caturra Amarillo"),
        ("Yellow Caturra", "Caturra Amarillo"),
        ("Caturra", "Caturra"),
        ("Catuai Amarelo", "Catuaí Amarelo"),
        ("Red Catuai", "Catuaí Vermelho"),
        ("Catuaí Vermelho", "Catuaí Vermelho"),
        ("Bourbon Rosado", "Pink Bourbon"),
        ("Bourbon Amarillo", "Yellow Bourbon"),
        ("Bourbon Naranja", "Orange Bourbon"),
    ],
)
def test_colour_forms_are_varieties_of_their_own(api, typed, canonical):
    """DOMAIN.md §8: Bourbon red, yellow, pink; colour forms of Caturra and Catuaí likewise."""
    match = api(None).get("/api/v1/varieties/match/", {"name": typed}).json()
    assert match["variety"] == canonical


def test_the_match_endpoint_offers_a_close_match_with_a_flag(api):
    match = api(None).get("/api/v1/varieties/match/", {"name": "pink borbon"}).json()
    assert (match["variety"], match["suggestion"], match["needs_confirmation"]) == (None, "Pink Bourbon", True)
    assert match["message"] == "Did you mean Pink Bourbon?"
    assert api(None).get("/api/v1/varieties/match/").status_code == 400


def test_a_plot_variety_typo_names_the_close_match(api, producer, farm):
    from decimal import Decimal

    from lots import services

    with pytest.raises(Exception) as exc:
        services.plot_create(
            farm=farm,
            by=producer,
            data={
                "name": "P9",
                "area_ha": Decimal("1"),
                "geometry": {"type": "Point", "coordinates": [Decimal("-75.912345"), Decimal("1.852345")]},
                "varieties": ["pink borbon"],
            },
        )
    assert "Unknown variety: pink borbon. Did you mean Pink Bourbon?" in str(exc.value)
