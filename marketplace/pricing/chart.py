"""Geometry of the lot page's price chart, drawn as SVG by the server (no script, no inline style).

A logarithmic USD/lb axis, because a micro-lot sits 2–10× (and a competition lot 100×) above the
baseline: on a linear axis the band and the C price would collapse into one pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WIDTH = 640
HEIGHT = 200
LEFT = 16
RIGHT = 16
AXIS_Y = 160
# One lane per series, so labels never sit on each other however close the prices are.
LANES = {"lot": 30, "band": 66, "baseline": 102, "c_price": 134}
TICKS = (0.5, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000)


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    axis_y: int = AXIS_Y
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    lanes: dict[str, int] = field(default_factory=lambda: dict(LANES))
    ticks: list[dict[str, Any]] = field(default_factory=list)
    band: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    c_price: dict[str, Any] | None = None
    lot: dict[str, Any] | None = None


def _label_at(x: int, room: int = 170) -> tuple[int, str]:
    """Where a marker's label goes: to its right, or to its left near the right edge."""
    if x > WIDTH - RIGHT - room:
        return x - 10, "end"
    return x + 10, "start"


def _fmt(value: Decimal | float) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def price_chart(
    *,
    fob: Decimal | None,
    baseline_median: Decimal | None,
    band: tuple[Decimal | None, Decimal, Decimal | None] | None,
    c_price: Decimal | None,
) -> Chart | None:
    values = [float(v) for v in (fob, baseline_median, c_price) if v is not None and v > 0]
    if band is not None:
        values += [float(v) for v in band if v is not None and v > 0]
    if fob is None or not values:
        return None
    lo = math.log10(min(values) / 1.6)
    hi = math.log10(max(values) * 1.6)
    span = WIDTH - LEFT - RIGHT

    def x(value: Decimal | float) -> int:
        return round(LEFT + (math.log10(float(value)) - lo) / (hi - lo) * span)

    chart = Chart()
    chart.ticks = [{"x": x(t), "label": f"{t:g}"} for t in TICKS if lo <= math.log10(t) <= hi]

    def marker(value: Decimal) -> dict[str, Any]:
        at = x(value)
        label_x, anchor = _label_at(at)
        return {"x": at, "label": _fmt(value), "label_x": label_x, "anchor": anchor}

    if band is not None:
        p25, median, p75 = band
        chart.band = {
            "x1": x(p25) if p25 else x(median),
            "x2": x(p75) if p75 else x(median),
            "median_x": x(median),
            "has_range": bool(p25 and p75),
            "p25": _fmt(p25) if p25 else "",
            "median": _fmt(median),
            "p75": _fmt(p75) if p75 else "",
        }
        chart.band["w"] = max(4, chart.band["x2"] - chart.band["x1"])
        chart.band["label_x"], chart.band["anchor"] = _label_at(chart.band["x2"], room=260)
        if chart.band["anchor"] == "end":
            chart.band["label_x"] = chart.band["x1"] - 10
    if baseline_median:
        chart.baseline = marker(baseline_median)
    if c_price:
        chart.c_price = marker(c_price)
    chart.lot = marker(fob)
    return chart
