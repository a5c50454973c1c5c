"""Canonical coffee varieties and the spellings that mean them (DOMAIN.md §8).

The data migration seeds these; ``normalise`` is the one place a spelling becomes a lookup key.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# (canonical name, is_landrace, aliases besides the name itself)
CANONICAL: list[tuple[str, bool, list[str]]] = [
    ("Gesha", False, ["Geisha", "Gesha 1931", "Panama Geisha", "Geisha Panama"]),
    ("Laurina", False, ["Bourbon Pointu", "Pointu"]),
    ("Bourbon", False, ["Red Bourbon", "Bourbon Rojo", "Bourbon Vermelho"]),
    ("Yellow Bourbon", False, ["Bourbon Amarillo", "Bourbon Amarelo"]),
    ("Pink Bourbon", False, ["Bourbon Rosado", "Bourbon Rosa", "Pink"]),
    ("Typica", False, ["Tipica", "Típica"]),
    ("Typica Mejorado", False, ["Tipica Mejorado", "Mejorado"]),
    ("Caturra", False, ["Red Caturra", "Yellow Caturra"]),
    ("Catuaí", False, ["Catuai", "Red Catuai", "Yellow Catuai", "Catuai Vermelho", "Catuai Amarelo"]),
    ("Pacamara", False, []),
    ("Maracaturra", False, []),
    ("SL28", False, ["SL 28", "SL-28"]),
    ("SL34", False, ["SL 34", "SL-34"]),
    ("Sidra", False, ["Sidra Bourbon", "Bourbon Sidra"]),
    ("Chiroso", False, []),
    ("Java", False, []),
    ("Sudan Rume", False, ["Sudan Rumé"]),
    ("Maragogype", False, ["Maragogipe", "Elephant Bean"]),
    ("Mundo Novo", False, []),
    ("Castillo", False, ["Variedad Castillo"]),
    ("Parainema", False, []),
    ("Catimor", False, []),
    ("Sarchimor", False, []),
    ("Centroamericano", False, ["H1", "F1 hybrid", "F1 Centroamericano"]),
    ("Ethiopian landrace", True, ["Heirloom", "Ethiopian Heirloom", "Landrace", "Ethiopian landraces"]),
    ("74110", True, ["JARC 74110", "74-110"]),
    ("74158", True, ["JARC 74158", "74-158"]),
]


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


def seed(variety_model: Any, alias_model: Any) -> None:
    """Create the canonical varieties and every alias key; safe to run again (get_or_create)."""
    for name, landrace, aliases in CANONICAL:
        variety, _ = variety_model.objects.get_or_create(
            name=name, defaults={"slug": slugify_name(name), "is_landrace": landrace}
        )
        keys = set()
        for spelling in [name, *aliases]:
            key = normalise(spelling)
            keys.update({key, key.replace(" ", "")})
        for key in sorted(keys):
            alias_model.objects.get_or_create(alias=key, defaults={"variety": variety})
