from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lots.geo import geometry_area_ha, parse_geometry, validate_geometry

SQUARE = [[-75.9131, 1.8531], [-75.9101, 1.8531], [-75.9101, 1.8561], [-75.9131, 1.8561], [-75.9131, 1.8531]]


def message(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


def test_a_point_is_enough_for_a_plot_of_four_hectares():
    geometry = validate_geometry({"type": "Point", "coordinates": [-75.91, 1.85]}, Decimal("4"))
    assert geometry == {"type": "Point", "coordinates": [-75.91, 1.85]}


def test_a_point_for_a_plot_above_four_hectares_is_refused_with_the_rule():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [-75.91, 1.85]}, Decimal("4.001"))
    assert "polygon" in message(exc)


def test_a_closed_polygon_is_accepted_for_a_large_plot_and_its_area_is_computed():
    geometry = validate_geometry({"type": "Polygon", "coordinates": [SQUARE]}, Decimal("11"))
    assert geometry["type"] == "Polygon"
    # 0.003° × 0.003° near the equator is about 11 ha.
    assert 10 < geometry_area_ha(geometry) < 12


def test_a_multipolygon_is_accepted():
    geometry = validate_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, Decimal("20"))
    assert geometry["type"] == "MultiPolygon"


def test_an_open_ring_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Polygon", "coordinates": [[*SQUARE[:-1], [-75.9, 1.9]]]}, Decimal("11"))
    assert "not closed" in message(exc)


def test_swapped_coordinates_are_explained():
    with pytest.raises(ValidationError) as exc:
        validate_geometry({"type": "Point", "coordinates": [1.85, -175.91]}, Decimal("1"))
    assert "longitude first" in message(exc)


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
        {"type": "Polygon", "coordinates": [[[1, 1], [1, 1], [1, 1], [1, 1]]]},
    ],
)
def test_invalid_geometries_are_refused(geometry):
    with pytest.raises(ValidationError):
        validate_geometry(geometry, Decimal("1"))


def test_missing_geometry_is_refused():
    with pytest.raises(ValidationError):
        validate_geometry(None, Decimal("1"))


def test_geojson_text_and_features_are_parsed():
    assert parse_geometry('{"type": "Point", "coordinates": [1, 2]}') == {"type": "Point", "coordinates": [1, 2]}
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}}
    assert parse_geometry(feature)["type"] == "Point"
    with pytest.raises(ValidationError):
        parse_geometry("{not json")
