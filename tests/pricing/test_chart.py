"""The price chart's geometry: a log axis where higher prices sit further right and labels stay inside."""

from __future__ import annotations

from decimal import Decimal

from marketplace.pricing.chart import WIDTH, price_chart


def test_prices_are_ordered_on_the_axis_and_labels_stay_inside_the_chart():
    chart = price_chart(
        fob=Decimal("34.29"),
        baseline_median=Decimal("3.40"),
        band=(Decimal("3.00"), Decimal("3.50"), Decimal("4.50")),
        c_price=Decimal("3.45"),
    )
    assert chart is not None
    assert chart.baseline["x"] < chart.c_price["x"] < chart.band["median_x"] < chart.band["x2"] < chart.lot["x"]
    assert chart.band["x1"] < chart.band["median_x"]
    # The lot sits near the right edge: its label runs leftwards from it.
    assert chart.lot["anchor"] == "end" and chart.lot["label_x"] < chart.lot["x"]
    assert chart.baseline["anchor"] == "start"
    assert all(0 < m["x"] < WIDTH for m in (chart.lot, chart.baseline, chart.c_price))
    assert len(set(chart.lanes.values())) == 4
    labels = [t["label"] for t in chart.ticks]
    assert "5" in labels and "10" in labels


def test_a_logarithmic_axis_gives_equal_ratios_equal_distances():
    chart = price_chart(fob=Decimal("20"), baseline_median=Decimal("5"), band=None, c_price=Decimal("10"))
    assert chart is not None
    assert abs((chart.c_price["x"] - chart.baseline["x"]) - (chart.lot["x"] - chart.c_price["x"])) <= 1


def test_no_price_no_chart():
    assert price_chart(fob=None, baseline_median=Decimal("3.40"), band=None, c_price=None) is None
