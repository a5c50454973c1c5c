"""Scores in templates always carry their scale: ``{{ value|scored:protocol }}`` → "SCA 87.25".

``{% lot_score_block lot %}`` renders a lot's official scores (primary first, every protocol the
lot has on its current harvest) for the lot page's score block.
"""

from __future__ import annotations

from typing import Any

from django import template

from cupping import scoring

register = template.Library()


@register.filter
def scored(value: Any, protocol: str) -> str:
    """A score with its protocol's short label ("SCA 87.25", "CVA 84.50", "CoE 88.00")."""
    return scoring.score_label(protocol, value)


@register.filter
def protocol_short(protocol: str) -> str:
    return str(scoring.PROTOCOL_SHORT.get(protocol, protocol))


@register.inclusion_tag("cupping/partials/score_block.html")
def lot_score_block(lot: Any) -> dict[str, Any]:
    from cupping.selectors import lot_official_scores

    return {"lot": lot, "scores": list(lot_official_scores(lot=lot).values())}
