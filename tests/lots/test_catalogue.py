"""The public catalogue: filters, sorting, search, pagination, fixed query counts and the CSV export."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lots.models import LotTag
from tests.factories import FarmFactory, LotFactory, PlotFactory, VarietyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(producer, second_producer):
    """Five lots of two producers in two countries; one draft that must never show."""
    co = FarmFactory(producer=producer, country="CO", region="Huila", name="La Esperanza")
    pa = FarmFactory(producer=second_producer, country="PA", region="Chiriquí", name="Ramírez")
    pink = VarietyFactory(name="Pink Bourbon")
    lots = {
        "gesha": LotFactory(
            producer=producer,
            farm=co,
            name="Huila Gesha",
            weight_kg=Decimal("320"),
            price_usd_per_kg=Decimal("30"),
            official_score=Decimal("89.5"),
            premium_ratio=Decimal("3.2"),
            story="jasmine bergamot",
        ),
        "pink": LotFactory(
            producer=producer,
            farm=co,
            name="Pink natural",
            variety=pink,
            process="natural",
            weight_kg=Decimal("45"),
            price_usd_per_kg=Decimal("48"),
            official_score=Decimal("91"),
            premium_ratio=Decimal("6.1"),
            verified_badge="nano",
        ),
        "big": LotFactory(
            producer=producer, farm=co, name="Huila regular", weight_kg=Decimal("2000"), price_usd_per_kg=Decimal("8")
        ),
        "panama": LotFactory(
            producer=second_producer,
            farm=pa,
            name="Chiriquí Geisha",
            price_usd_per_kg=Decimal("120"),
            official_score=Decimal("93"),
        ),
        "eur": LotFactory(producer=second_producer, farm=pa, name="Euro lot", price_usd_per_kg=None),
        "draft": LotFactory(producer=producer, farm=co, name="Secret draft", status="draft"),
    }
    LotTag.objects.create(lot=lots["pink"], tag="competition")
    return lots


def names(response):
    return {lot.name for lot in response.context["lots"]}


def get(client, **params):
    return client.get(reverse("lots:catalogue"), params)


def test_catalogue_shows_only_listed_lots(client, shelf):
    response = get(client)
    assert response.status_code == 200
    assert "Secret draft" not in names(response)
    assert len(names(response)) == 5


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "pa"}, {"Chiriquí Geisha", "Euro lot"}),
        ({"region": "huila"}, {"Huila Gesha", "Pink natural", "Huila regular"}),
        ({"process": "natural"}, {"Pink natural"}),
        ({"variety": "pink-bourbon"}, {"Pink natural"}),
        ({"score_min": "90"}, {"Pink natural", "Chiriquí Geisha"}),
        ({"score_min": "89", "score_max": "90"}, {"Huila Gesha"}),
        ({"price_max": "30"}, {"Huila Gesha", "Huila regular"}),
        # 20 USD/lb = 44.09 USD/kg: the 48 and 120 USD/kg lots only.
        ({"price_min": "20", "price_unit": "lb"}, {"Pink natural", "Chiriquí Geisha"}),
        ({"weight_max": "100"}, {"Pink natural"}),
        ({"weight_min": "1000.01"}, {"Huila regular"}),
        ({"classification": ["nano", "regular"]}, {"Pink natural", "Huila regular"}),
        ({"verified": "on"}, {"Pink natural"}),
        ({"tag": "competition"}, {"Pink natural"}),
        ({"q": "jasmine"}, {"Huila Gesha"}),
        ({"q": "Chiriquí"}, {"Chiriquí Geisha", "Euro lot"}),
    ],
)
def test_catalogue_filters(client, shelf, params, expected):
    assert names(get(client, **params)) == expected


def test_catalogue_sorts_by_score_and_premium_with_unknowns_last(client, shelf):
    by_score = [lot.name for lot in get(client, sort="score_desc").context["lots"]]
    assert by_score[:3] == ["Chiriquí Geisha", "Pink natural", "Huila Gesha"]
    by_premium = [lot.name for lot in get(client, sort="premium_desc").context["lots"]]
    assert by_premium[:2] == ["Pink natural", "Huila Gesha"]
    by_price = [lot.name for lot in get(client, sort="price_asc").context["lots"]]
    assert by_price[0] == "Huila regular" and by_price[-1] == "Euro lot"


def test_catalogue_paginates(client, shelf):
    first = get(client, page_size=2, sort="score_desc")
    assert len(first.context["lots"]) == 2
    assert first.context["page"].paginator.num_pages == 3
    third = get(client, page_size=2, page=3, sort="score_desc")
    assert len(third.context["lots"]) == 1


def test_invalid_filters_show_an_error_not_a_crash(client, shelf):
    response = get(client, score_min="abc", country="Colombia")
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"score_min", "country"}


def test_htmx_request_gets_only_the_results(client, shelf):
    response = client.get(reverse("lots:catalogue"), {"process": "natural"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Pink natural" in body and "<html" not in body


def _many_lots(producer, n):
    farm = FarmFactory(producer=producer)
    plot = PlotFactory(farm=farm)
    for i in range(n):
        lot = LotFactory(producer=producer, farm=farm, plots=[plot], name=f"Bulk {i}")
        LotTag.objects.create(lot=lot, tag="competition")


# session, user and unread notifications (every signed-in page), variety choices of the filter form,
# count, rows (one join for farm, variety, producer and profile), tags, photos.
CATALOGUE_QUERIES_SIGNED_IN = 8


@pytest.mark.parametrize("page_size", [5, 40])
def test_catalogue_page_runs_a_fixed_number_of_queries(roaster_client, producer, django_assert_num_queries, page_size):
    _many_lots(producer, 40)
    with django_assert_num_queries(CATALOGUE_QUERIES_SIGNED_IN):
        response = roaster_client.get(reverse("lots:catalogue"), {"page_size": page_size, "tag": "competition"})
    assert len(response.context["lots"]) == page_size


@pytest.mark.parametrize("page_size", [5, 40])
def test_list_api_runs_a_fixed_number_of_queries(api, roaster, producer, django_assert_num_queries, page_size):
    _many_lots(producer, 40)
    client = api(roaster)
    # variety choices (filter parsing), count, rows, tags, plots, group members, official scores
    with django_assert_num_queries(7):
        response = client.get("/api/v1/lots/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_query_count_does_not_grow_with_photos_and_plots(roaster_client, producer, no_broker):
    from lots import services
    from tests.lots.conftest import jpeg_bytes

    _many_lots(producer, 6)
    with CaptureQueriesContext(connection) as before:
        roaster_client.get(reverse("lots:catalogue"))
    for lot in producer.lots.all()[:3]:
        services.photos_add(lot=lot, by=producer, uploads=[services.PhotoUpload(data=jpeg_bytes())] * 2)
        lot.plots.add(PlotFactory(farm=lot.farm))
    with CaptureQueriesContext(connection) as after:
        roaster_client.get(reverse("lots:catalogue"))
    assert len(after) == len(before)


# --- the offer list export -----------------------------------------------------------------------


def read_csv(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_offer_list_csv_uses_the_current_filters(client, shelf):
    response = client.get(reverse("lots:catalogue_csv"), {"country": "CO", "sort": "price_asc"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [r["name"] for r in rows] == ["Huila regular", "Huila Gesha", "Pink natural"]
    gesha = rows[1]
    assert gesha["country"] == "CO" and gesha["price_usd_per_kg"] == "30.0000"
    assert gesha["price_usd_per_lb"] == "13.6078"
    assert gesha["classification"] == "micro"
    assert gesha["url"].endswith(reverse("lots:detail", args=[shelf["gesha"].pk]))
    assert rows[2]["verified"] == "nano" and rows[2]["tags"] == "competition"


def test_offer_list_never_contains_drafts(client, shelf):
    assert "Secret draft" not in {r["name"] for r in read_csv(client.get(reverse("lots:catalogue_csv")))}


def test_offer_list_cells_cannot_start_a_spreadsheet_formula(client, producer):
    LotFactory(producer=producer, name='=HYPERLINK("http://evil")')
    [row] = read_csv(client.get(reverse("lots:catalogue_csv")))
    assert row["name"].startswith("'=")
