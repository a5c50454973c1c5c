"""Plot geolocation an importer can file (issue 14; DOMAIN.md §11, EUDR Regulation (EU) 2023/1115).

The rules: at least six decimal places (Art. 2(28)) kept exactly; points and polygons inside the
coffee belt and the farm's declared country (swapped coordinates refused with a hint); valid
polygons (closed, not self-intersecting); the polygon's geodesic area within ±20 % of the declared
area, or the declared area is not used for the yield check.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lots import geo
from lots.geo import area_check, geometry_area_ha, parse_geometry, validate_geometry
from lots.models import Plot
from tests.factories import FarmFactory, PlotFactory


def ring(*corners: tuple[str, str]) -> list[list[D]]:
    points = [[D(lon), D(lat)] for lon, lat in corners]
    return [*points, points[0]]


# 0.003° × 0.003° near Pitalito, Huila (Colombia): 331.7 m of latitude × 333.8 m of longitude
# (110.57 km and 111.32 km × cos 1.85° per degree) ≈ 11.07 ha; pyproj on WGS 84 gives 11.073 ha.
SQUARE = ring(
    ("-75.913100", "1.853100"), ("-75.910100", "1.853100"), ("-75.910100", "1.856100"), ("-75.913100", "1.856100")
)
BOW_TIE = ring(
    ("-75.913100", "1.853100"), ("-75.910100", "1.856100"), ("-75.910100", "1.853100"), ("-75.913100", "1.856100")
)
POINT = {"type": "Point", "coordinates": [D("-75.912345"), D("1.852345")]}


def message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --- the rules, one by one --------------------------------------------------------------------


def test_a_point_is_enough_for_a_plot_of_four_hectares():
    assert validate_geometry(POINT, D("4"), "CO") == POINT


def test_a_point_for_a_plot_above_four_hectares_is_refused_with_the_rule():
    """DOMAIN.md §11: plots > 4 ha need a polygon."""
    with pytest.raises(ValidationError) as exc:
        validate_geometry(POINT, D("4.001"), "CO")
    assert "needs a polygon" in message(exc)


def test_fewer_than_six_decimal_places_are_refused_with_the_article():
    """EUDR Art. 2(28): at least six decimal places."""
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [D("-75.91234"), D("1.852345")]}, D("1"), "CO")
    assert message(exc) == (
        "Give every coordinate with at least 6 decimal places (EU deforestation rules, Art. 2(28)): "
        "[-75.91234, 1.852345] has 5 and 6."
    )


def test_phone_precision_is_accepted_and_kept_digit_for_digit():
    point = {"type": "Point", "coordinates": [D("-75.91234567"), D("1.90000000")]}
    assert [str(c) for c in validate_geometry(point, D("1"), "CO")["coordinates"]] == ["-75.91234567", "1.90000000"]


def test_a_float_that_lost_its_trailing_zeros_no_longer_has_six_places():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [-75.912345, 1.900000]}, D("1"), "CO")
    assert "[-75.912345, 1.9] has 6 and 1" in message(exc)


def test_swapped_colombian_coordinates_are_refused_with_the_swap_suggested():
    """DOMAIN.md §11: a Colombian plot at [2.19, -75.91] lands in Antarctica."""
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [D("2.190000"), D("-75.910000")]}, D("1"), "CO")
    assert message(exc) == (
        "Latitude -75.910000 is outside the coffee belt (30° N to 30° S): this cannot be where the coffee grows. "
        "Latitude and longitude look swapped: GeoJSON puts longitude first, so the first position would be "
        "[-75.910000, 2.190000]."
    )


def test_the_swapped_example_with_two_decimals_is_still_told_about_the_swap_first():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [D("2.19"), D("-75.91")]}, D("1"), "CO")
    assert "look swapped" in message(exc) and "[-75.91, 2.19]" in message(exc)


def test_a_latitude_beyond_ninety_explains_the_order():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [D("1.850000"), D("-175.910000")]}, D("1"))
    assert "longitude first" in message(exc)


def test_a_point_outside_the_farms_country_is_refused_naming_where_it_is():
    quito = {"type": "Point", "coordinates": [D("-78.467800"), D("-0.180700")]}
    with pytest.raises(ValidationError) as exc:
        validate_geometry(quito, D("1"), "CO")
    assert message(exc) == "The plot is not in Colombia, the farm's country: it lies in Ecuador."
    assert validate_geometry(quito, D("1"), "EC") == quito


def test_swapped_coordinates_inside_the_belt_are_caught_by_the_country(settings):
    # Yaoundé, Cameroon, is at about 3.87° N, 11.52° E; swapped it is 11.52° N, in Nigeria's belt.
    swapped = {"type": "Point", "coordinates": [D("3.866700"), D("11.516700")]}
    with pytest.raises(ValidationError) as exc:
        validate_geometry(swapped, D("1"), "CM")
    assert "not in Cameroon" in message(exc) and "look swapped" in message(exc)


def test_a_plot_just_across_the_border_is_within_the_tolerance_and_the_tolerance_is_a_setting(settings):
    """Natural Earth 1:10m borders are approximate: Tulcán, Ecuador, is ~3.5 km from Colombia."""
    tulcan = {"type": "Point", "coordinates": [D("-77.717300"), D("0.811900")]}
    assert validate_geometry(tulcan, D("1"), "CO") == tulcan
    settings.LOTS_BORDER_TOLERANCE_M = 1000
    with pytest.raises(ValidationError):
        validate_geometry(tulcan, D("1"), "CO")


def test_an_unknown_country_code_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_geometry(POINT, D("1"), "XX")
    assert "no boundary for the country code XX" in message(exc)


def test_a_closed_polygon_is_accepted_and_its_geodesic_area_computed_with_pyproj():
    geometry = validate_geometry({"type": "Polygon", "coordinates": [SQUARE]}, D("11"), "CO")
    assert geometry["type"] == "Polygon"
    assert D("11.0") < geometry_area_ha(geometry) < D("11.2")


def test_ring_orientation_and_holes_do_not_change_the_area_sign():
    clockwise = {"type": "Polygon", "coordinates": [SQUARE[::-1]]}
    hole = ring(
        ("-75.912000", "1.854000"), ("-75.911000", "1.854000"), ("-75.911000", "1.855000"), ("-75.912000", "1.855000")
    )
    with_hole = {"type": "Polygon", "coordinates": [SQUARE, hole]}
    full = geometry_area_ha({"type": "Polygon", "coordinates": [SQUARE]})
    assert geometry_area_ha(clockwise) == full
    assert D("1.2") < full - geometry_area_ha(with_hole) < D("1.3")


def test_a_multipolygon_is_accepted():
    other = ring(
        ("-75.903100", "1.853100"), ("-75.900100", "1.853100"), ("-75.900100", "1.856100"), ("-75.903100", "1.856100")
    )
    geometry = validate_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [other]]}, D("22"), "CO")
    assert geometry["type"] == "MultiPolygon"


def test_an_open_ring_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_geometry(
            {"type": "Polygon", "coordinates": [[*SQUARE[:-1], [D("-75.900000"), D("1.900000")]]]}, D("11")
        )
    assert "not closed" in message(exc)


def test_a_self_intersecting_polygon_is_refused_with_shapelys_explanation():
    """DOMAIN.md §11: self-intersecting polygons are a common rejection."""
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Polygon", "coordinates": [BOW_TIE]}, D("11"), "CO")
    assert message(exc).startswith("The boundary is not a valid polygon (Self-intersection[")


def test_overlapping_parts_of_a_multipolygon_are_refused():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, D("22"), "CO")
    assert "not a valid polygon" in message(exc)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [200, 1]},
        {"type": "Point", "coordinates": ["a", 1]},
        {"type": "Point", "coordinates": [1]},
        {"type": "Point", "coordinates": [True, 1]},
        {"type": "LineString", "coordinates": [[1, 1], [2, 2]]},
        {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[D("1.000001"), D("1.000001")]] * 4]},
    ],
)
def test_invalid_geometries_are_refused(geometry):
    with pytest.raises(ValidationError):
        validate_geometry(geometry, D("1"))


def test_missing_geometry_is_refused():
    with pytest.raises(ValidationError):
        validate_geometry(None, D("1"))


def test_geojson_text_keeps_every_digit_and_features_are_parsed():
    parsed = parse_geometry('{"type": "Point", "coordinates": [-75.912345, 1.900000]}')
    assert [str(c) for c in parsed["coordinates"]] == ["-75.912345", "1.900000"]
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}}
    assert parse_geometry(feature)["type"] == "Point"
    with pytest.raises(ValidationError):
        parse_geometry("{not json")


def test_the_area_must_agree_within_twenty_percent_or_the_yield_check_drops_it():
    """DOMAIN.md §11: otherwise the declared area cannot be used for yield checks."""
    polygon = {"type": "Polygon", "coordinates": [SQUARE]}
    assert area_check(polygon, D("10")).agrees is True  # 11.07 ha is 11 % above
    check = area_check(polygon, D("5"))
    assert (check.agrees, check.usable_ha) == (False, None)
    assert check.message.startswith("The boundary covers 11.073 ha")
    assert "declared as 5 ha" in check.message and "not used for the yield check" in check.message
    assert area_check(POINT, D("3")).usable_ha == D("3")


def test_the_area_tolerance_is_a_setting(settings):
    settings.LOTS_AREA_TOLERANCE = "0.05"
    assert area_check({"type": "Polygon", "coordinates": [SQUARE]}, D("10")).agrees is False


# --- through the API and the pages ------------------------------------------------------------


def raw_post(client: Any, url: str, body: str) -> Any:
    return client.post(url, data=body, content_type="application/json")


@pytest.fixture
def farm(producer):
    return FarmFactory(producer=producer, country="CO", region="Huila")


@pytest.mark.django_db
def test_the_api_keeps_trailing_zeros_from_the_request_body_to_the_response(api, producer, farm):
    client = api(producer)
    body = (
        f'{{"farm": {farm.pk}, "name": "Loma", "area_ha": "2.5", '
        '"geometry": {"type": "Point", "coordinates": [-75.91234567, 1.900000]}}'
    )
    response = raw_post(client, "/api/v1/plots/", body)
    assert response.status_code == 201, response.content
    assert b'"coordinates":[-75.91234567,1.900000]' in response.content
    plot = Plot.objects.get(pk=response.json()["id"])
    assert [str(c) for c in plot.geometry["coordinates"]] == ["-75.91234567", "1.900000"]
    again = client.get(f"/api/v1/plots/{plot.pk}/")
    assert b'"coordinates":[-75.91234567,1.900000]' in again.content


@pytest.mark.django_db
def test_the_api_refuses_swapped_coordinates_suggesting_the_swap(api, producer, farm):
    body = '{"farm": %d, "name": "Loma", "area_ha": "1", "geometry": {"type": "Point", "coordinates": [2.19, -75.91]}}'
    response = raw_post(api(producer), "/api/v1/plots/", body % farm.pk)
    assert response.status_code == 400
    (text,) = response.json()["extra"]["fields"]["geometry"]
    assert "outside the coffee belt" in text and "[-75.91, 2.19]" in text
    assert not Plot.objects.filter(farm=farm).exists()


@pytest.mark.django_db
def test_the_api_refuses_five_decimals_and_a_bow_tie(api, producer, farm):
    client = api(producer)
    short = (
        '{"farm": %d, "name": "A", "area_ha": "1", "geometry": {"type": "Point", "coordinates": [-75.91234, 1.852345]}}'
    )
    assert (
        "at least 6 decimal places"
        in raw_post(client, "/api/v1/plots/", short % farm.pk).json()["extra"]["fields"]["geometry"][0]
    )
    tie = {"farm": farm.pk, "name": "B", "area_ha": "11", "geometry": {"type": "Polygon", "coordinates": [BOW_TIE]}}
    response = raw_post(client, "/api/v1/plots/", geo.dumps(tie))
    assert "Self-intersection" in response.json()["extra"]["fields"]["geometry"][0]


@pytest.mark.django_db
def test_the_api_accepts_the_geometry_as_geojson_text(api, producer, farm):
    text = geo.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    response = api(producer).post(
        "/api/v1/plots/", {"farm": farm.pk, "name": "Text", "area_ha": "11", "geometry": text}, format="json"
    )
    assert response.status_code == 201, response.content
    assert str(Plot.objects.get(name="Text").geometry["coordinates"][0][0][1]) == "1.853100"


@pytest.mark.django_db
def test_the_api_tells_the_producer_when_the_polygon_contradicts_the_declared_area(api, producer, farm):
    body = geo.dumps(
        {"farm": farm.pk, "name": "Big", "area_ha": "5", "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    )
    data = raw_post(api(producer), "/api/v1/plots/", body).json()
    assert (data["area_agrees"], data["area_used_for_yield"], data["geometry_area_ha"]) == (False, False, "11.073")
    assert "not used for the yield check" in data["area_message"]


@pytest.mark.django_db
def test_the_yield_check_does_not_use_an_area_the_polygon_contradicts(producer, farm):
    """DOMAIN.md §10/§11: the yield check compares green weight with plot area; a contradicted area is out."""
    from django.utils import timezone

    from marketplace.moderation import evidence
    from marketplace.moderation.models import MicroLotClaim
    from tests.factories import LotFactory

    plot = PlotFactory(farm=farm, area_ha=D("5"), geometry={"type": "Polygon", "coordinates": [SQUARE]})
    agreeing = PlotFactory(farm=farm, area_ha=D("11"), geometry={"type": "Polygon", "coordinates": [SQUARE]})
    lot = LotFactory(producer=producer, farm=farm, plots=[plot, agreeing])
    claim = MicroLotClaim.objects.create(
        lot=lot,
        producer=producer,
        kind="micro",
        isolation="geographic",
        statement="x" * 40,
        waiting_since=timezone.now(),
    )
    plots = {p.name: p.area_ha for p in evidence.gather(claim=claim).plots}
    assert plots == {plot.name: None, agreeing.name: D("11")}


@pytest.mark.django_db
def test_the_plot_page_refuses_five_decimals_and_keeps_eight(producer_client, farm):
    url = reverse("lots:plot_create", args=[farm.pk])
    response = producer_client.post(
        url, {"name": "Loma", "area_ha": "2", "latitude": "1.85234", "longitude": "-75.912345"}
    )
    assert response.status_code == 400
    assert "at least 6 decimal places" in response.content.decode()
    response = producer_client.post(
        url, {"name": "Loma", "area_ha": "2", "latitude": "1.85234567", "longitude": "-75.91234500"}
    )
    assert response.status_code == 302
    assert [str(c) for c in Plot.objects.get(farm=farm).geometry["coordinates"]] == ["-75.91234500", "1.85234567"]


@pytest.mark.django_db
def test_the_plot_page_suggests_the_swap(producer_client, farm):
    response = producer_client.post(
        reverse("lots:plot_create", args=[farm.pk]),
        {"name": "Loma", "area_ha": "2", "latitude": "-75.910000", "longitude": "2.190000"},
    )
    assert response.status_code == 400
    assert "look swapped" in response.content.decode()


@pytest.mark.django_db
def test_the_plot_page_shows_why_the_declared_area_is_not_used(producer_client, farm):
    plot = PlotFactory(farm=farm, area_ha=D("5"), geometry={"type": "Polygon", "coordinates": [SQUARE]})
    page = producer_client.get(reverse("lots:plot_edit", args=[plot.pk])).content.decode()
    assert 'id="area-check"' in page and "the declared area is not used for the yield check" in page
    assert "not used for the yield check" in producer_client.get(reverse("lots:mine")).content.decode()


@pytest.mark.django_db
def test_changing_the_farms_country_away_from_its_plots_is_refused(producer, farm):
    from lots import services

    PlotFactory(farm=farm, name="Loma", geometry=POINT, area_ha=D("1"))
    with pytest.raises(ValidationError) as exc:
        services.farm_update(farm=farm, by=producer, data={"country": "PE"})
    assert "Plot Loma: The plot is not in Peru" in message(exc)
    farm.refresh_from_db()
    assert farm.country == "CO"


@pytest.mark.django_db
def test_the_passport_writes_coordinates_with_their_digits(api, producer, farm):
    from tests.factories import LotFactory

    plot = PlotFactory(farm=farm, geometry={"type": "Point", "coordinates": [D("-75.912345"), D("1.900000")]})
    lot = LotFactory(producer=producer, farm=farm, plots=[plot])
    raw = api(None).get(f"/api/v1/lots/{lot.pk}/passport/").content
    assert b"[-75.912345,1.900000]" in raw
    page = api(None).get(reverse("lots:passport", args=[lot.pk])).content
    assert json.loads(page)["features"][0]["geometry"]["type"] == "Point" and b"1.900000" in page
