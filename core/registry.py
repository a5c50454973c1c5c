"""Extension points so each app adds its own navigation links and dashboard panels.

Apps register in ``AppConfig.ready()``; the base layout and the dashboard read the registries.
This keeps one app's pages out of another's templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url_name: str
    roles: tuple[str, ...] | None = None  # None: everyone; () : signed-in users of any role
    order: int = 100
    anonymous: bool = True


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: a template and a function returning its context."""

    template: str
    context: Callable[[HttpRequest], dict[str, Any]]
    roles: tuple[str, ...]
    order: int = 100


@dataclass(frozen=True)
class LotSection:
    """A section of the public lot page contributed by another app (cupping, pricing, auctions…).

    ``context(request, lot)`` returns the template context, or None to hide the section.
    """

    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any] | None]
    order: int = 100


# ``hold(lot_id)`` returns why the lot's trade terms are frozen (e.g. "on auction"), or None.
LotHold = Callable[[int], str | None]


@dataclass
class _Registry:
    nav: list[NavItem] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    lot_sections: list[LotSection] = field(default_factory=list)
    lot_holds: list[LotHold] = field(default_factory=list)


registry = _Registry()


def register_nav(item: NavItem) -> None:
    if item not in registry.nav:
        registry.nav.append(item)
        registry.nav.sort(key=lambda i: i.order)


def register_panel(panel: Panel) -> None:
    if panel not in registry.panels:
        registry.panels.append(panel)
        registry.panels.sort(key=lambda p: p.order)


def nav_for(user: Any) -> list[NavItem]:
    authenticated = getattr(user, "is_authenticated", False)
    role = getattr(user, "role", None)
    items = []
    for item in registry.nav:
        if item.roles is None:
            if authenticated or item.anonymous:
                items.append(item)
        elif authenticated and (not item.roles or role in item.roles):
            items.append(item)
    return items


def panels_for(request: HttpRequest) -> list[tuple[str, dict[str, Any]]]:
    role = getattr(request.user, "role", None)
    return [(p.template, p.context(request)) for p in registry.panels if role in p.roles]


def register_lot_section(section: LotSection) -> None:
    if section not in registry.lot_sections:
        registry.lot_sections.append(section)
        registry.lot_sections.sort(key=lambda s: s.order)


def lot_sections_for(request: HttpRequest, lot: Any) -> list[tuple[str, dict[str, Any]]]:
    """Rendered by the lot page as ``{% include template with section=ctx %}``."""
    out = []
    for section in registry.lot_sections:
        ctx = section.context(request, lot)
        if ctx is not None:
            out.append((section.template, ctx))
    return out


def register_lot_hold(hold: LotHold) -> None:
    """An app that sells a lot by its own rules (auctions) freezes the lot's trade terms meanwhile.

    The lots services ask every hold before changing a lot's weight, price or status, under the
    lot's row lock; the holding app makes its own moves while it does not hold the lot yet (or
    any more), so nothing but that app can change what its buyers are bidding for.
    """
    if hold not in registry.lot_holds:
        registry.lot_holds.append(hold)


def lot_hold_reason(lot_id: int) -> str | None:
    """The first reason a lot is held, or None when nothing holds it."""
    for hold in registry.lot_holds:
        reason = hold(lot_id)
        if reason:
            return reason
    return None
