"""Canonical coffee varieties and the spellings that mean them (DOMAIN.md §8).

The data migration seeds these; ``normalise`` is the one place a spelling becomes a lookup key.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

F1_HYBRID = "F1 hybrid"
LANDRACE = "Landrace"

# (canonical name, is_landrace, aliases besides the name itself, family)
# Colour forms are varieties of their own (Caturra Amarillo is not Caturra): a buyer filtering for
# one must not get the other. Red is the usual colour of Bourbon and Caturra, so "Red Bourbon" and
# "Caturra Rojo" are those varieties; Catuaí comes in both colours, so plain "Catuaí" stays for a
# lot whose colour is not given.
CANONICAL: list[tuple[str, bool, list[str], str]] = [
    ("Gesha", False, ["Geisha", "Gesha 1931", "Panama Geisha", "Geisha Panama"], ""),
    ("Laurina", False, ["Bourbon Pointu", "Pointu"], ""),
    ("Bourbon", False, ["Red Bourbon", "Bourbon Rojo", "Bourbon Vermelho"], ""),
    ("Yellow Bourbon", False, ["Bourbon Amarillo", "Bourbon Amarelo"], ""),
    ("Pink Bourbon", False, ["Bourbon Rosado", "Bourbon Rosa", "Pink"], ""),
    ("Orange Bourbon", False, ["Bourbon Naranja", "Bourbon Laranja"], ""),
    ("Typica", False, ["Tipica", "Típica"], ""),
    ("Typica Mejorado", False, ["Tipica Mejorado", "Mejorado"], ""),
    ("Caturra", False, ["Red Caturra", "Caturra Rojo", "Caturra Vermelho"], ""),
    ("Caturra Amarillo", False, ["Yellow Caturra", "Caturra Amarelo"], ""),
    ("Catuaí", False, ["Catuai"], ""),
    ("Catuaí Amarelo", False, ["Yellow Catuai", "Catuai Amarelo", "Catuai Amarillo"], ""),
    ("Catuaí Vermelho", False, ["Red Catuai", "Catuai Vermelho", "Catuai Rojo"], ""),
    ("Pacamara", False, [], ""),
    ("Maracaturra", False, [], ""),
    ("SL28", False, ["SL 28", "SL-28"], ""),
    ("SL34", False, ["SL 34", "SL-34"], ""),
    ("Sidra", False, ["Sidra Bourbon", "Bourbon Sidra"], ""),
    ("Chiroso", False, [], ""),
    ("Java", False, [], ""),
    ("Sudan Rume", False, ["Sudan Rumé"], ""),
    ("Maragogype", False, ["Maragogipe", "Elephant Bean"], ""),
    ("Mundo Novo", False, [], ""),
    ("Castillo", False, ["Variedad Castillo"], ""),
    ("Parainema", False, [], ""),
    ("Catimor", False, [], ""),
    ("Sarchimor", False, [], ""),
    # F1 hybrids are a family (DOMAIN.md §8), never one variety.
    ("Centroamericano", False, ["H1", "F1 Centroamericano"], F1_HYBRID),
    ("Starmaya", False, ["Star Maya"], F1_HYBRID),
    ("Mundo Maya", False, ["H16"], F1_HYBRID),
    ("Milenio", False, ["H10"], F1_HYBRID),
    ("Casiopea", False, [], F1_HYBRID),
    ("Evaluna", False, [], F1_HYBRID),
    # "Landrace" alone names no origin; Ethiopian landraces are sold as "heirloom" (DOMAIN.md §8).
    ("Ethiopian landrace", True, ["Heirloom", "Ethiopian Heirloom", "Ethiopian landraces"], LANDRACE),
    ("74110", True, ["JARC 74110", "74-110"], LANDRACE),
    ("74158", True, ["JARC 74158", "74-158"], LANDRACE),
]

# Spellings that name a family of varieties, not one: the producer is asked which.
FAMILY_SPELLINGS: dict[str, list[str]] = {
    F1_HYBRID: ["F1 hybrid", "F1 hybrids", "F1", "Hibrido F1", "Híbrido F1", "Hybrid F1"],
    LANDRACE: ["Landrace", "Landraces", "Local landrace"],
}

# Alias keys that earlier versions mapped to one variety wrongly; removed by the migration.
RETIRED_ALIASES = ["f1 hybrid", "f1hybrid", "landrace"]


def normalise(text: str) -> str:
    """Lower case, accents dropped, hyphens and underscores as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[-_/.]+", " ", plain.lower())
    return re.sub(r"\s+", " ", plain).strip()


def slugify_name(name: str) -> str:
    return normalise(name).replace(" ", "-")


def lookup_keys(text: str) -> list[str]:
    """Keys to try, most specific first: 'SL-28' matches 'sl 28' and 'sl28'."""
    key = normalise(text)
    squashed = key.replace(" ", "")
    return [key] if squashed == key else [key, squashed]


def family_of(text: str) -> str:
    """The family a spelling names ("F1 hybrid", "Landrace"), or "" when it names no family."""
    keys = set(lookup_keys(text))
    for family, spellings in FAMILY_SPELLINGS.items():
        for spelling in spellings:
            if keys & set(lookup_keys(spelling)):
                return family
    return ""


def seed(variety_model: Any, alias_model: Any) -> None:
    """Create the canonical varieties and point every alias key at its variety; safe to run again.

    Aliases are moved (not only created), so a corrected alias list reaches existing databases.
    """
    has_family = any(f.name == "family" for f in variety_model._meta.get_fields())
    alias_model.objects.filter(alias__in=RETIRED_ALIASES).delete()
    for name, landrace, aliases, family in CANONICAL:
        defaults: dict[str, Any] = {"slug": slugify_name(name), "is_landrace": landrace}
        if has_family:
            defaults["family"] = family
        variety, created = variety_model.objects.get_or_create(name=name, defaults=defaults)
        if not created and has_family and variety.family != family:
            variety.family = family
            variety.save(update_fields=["family"])
        keys = set()
        for spelling in [name, *aliases]:
            key = normalise(spelling)
            keys.update({key, key.replace(" ", "")})
        for key in sorted(keys):
            alias_model.objects.update_or_create(alias=key, defaults={"variety": variety})
