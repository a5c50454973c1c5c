from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from core.money import KG_PER_LB
from core.registry import nav_for

register = template.Library()


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> list[Any]:
    request = context.get("request")
    return nav_for(getattr(request, "user", None))


@register.filter
def per_lb(value: Decimal | None) -> Decimal | None:
    """A per-kg amount shown per lb."""
    if value is None or value == "":
        return None
    return (Decimal(value) * KG_PER_LB).quantize(Decimal("0.01"))


@register.filter
def money(value: Decimal | None, places: int = 2) -> str:
    if value is None or value == "":
        return "—"
    q = Decimal(1).scaleb(-int(places))
    return f"{Decimal(value).quantize(q):,}"
