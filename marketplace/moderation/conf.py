"""Settings of the moderation app, each overridable in the project settings (``MODERATION_*``).

The thresholds are our heuristics from DOMAIN.md §10, not industry standards: keep them here so
a moderator team can tune them without touching the checks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings


def get(name: str, default: Any) -> Any:
    return getattr(settings, f"MODERATION_{name}", default)


# volume: green tonnes per hectare of the lot's plots (DOMAIN.md §10).
YIELD_PASS_T_PER_HA = Decimal(str(get("YIELD_PASS_T_PER_HA", "1.5")))
YIELD_WARN_T_PER_HA = Decimal(str(get("YIELD_WARN_T_PER_HA", "2.5")))

# separation: input:output weight factors (DOMAIN.md §10 "usual range").
CONVERSION_FACTORS: dict[str, tuple[Decimal, Decimal]] = {
    key: (Decimal(str(lo)), Decimal(str(hi)))
    for key, (lo, hi) in get(
        "CONVERSION_FACTORS",
        {
            "cherry_to_parchment": ("4.5", "5.5"),
            "parchment_to_green": ("1.2", "1.3"),
            "cherry_to_dried_cherry": ("2.5", "3.5"),
            "dried_cherry_to_green": ("1.8", "2.2"),
            "cherry_to_green": ("4.5", "7"),
        },
    ).items()
}
# A factor outside its range by at most this fraction warns; further out it fails.
CONVERSION_TOLERANCE = Decimal(str(get("CONVERSION_TOLERANCE", "0.15")))
# Scales round; a gain of at most this fraction between two weighings is not a gain.
WEIGHT_GAIN_TOLERANCE = Decimal(str(get("WEIGHT_GAIN_TOLERANCE", "0.005")))

# score: the official (independent) score of the lot's current harvest, judged per protocol on its
# own scale (DESIGN.md hallmark 4). SCA 2004: at least 86 passes, 80 to 86 warns, under 80 is not
# specialty. The Cup of Excellence form is also a 100-point form with 86+ as the usual micro-lot
# range, so it uses the SCA 2004 thresholds unless configured otherwise.
SCORE_PASS = Decimal(str(get("SCORE_PASS", "86")))
SCORE_FAIL_BELOW = Decimal(str(get("SCORE_FAIL_BELOW", "80")))
# CVA (affective form) is another scale: an all-5 sheet ("neither high nor low") is 79.00 and an
# all-6 sheet ("slightly high") is 84.25. No published mapping to 2004 scores exists, so these
# defaults are our own choice (docs/moderation-score-thresholds.md): below 79.00 the average
# impression is under neutral and fails; from 84.25 the average impression is at least "slightly
# high" and passes; in between warns.
CVA_PASS = Decimal(str(get("CVA_PASS", "84.25")))
CVA_SPECIALTY = Decimal(str(get("CVA_SPECIALTY", "79.00")))
COE_PASS = Decimal(str(get("COE_PASS", SCORE_PASS)))
COE_FAIL_BELOW = Decimal(str(get("COE_FAIL_BELOW", SCORE_FAIL_BELOW)))
# protocol → (pass from, fail below). A protocol missing here is never judged on another's scale.
SCORE_THRESHOLDS: dict[str, tuple[Decimal, Decimal]] = {
    "sca2004": (SCORE_PASS, SCORE_FAIL_BELOW),
    "cva": (CVA_PASS, CVA_SPECIALTY),
    "coe": (COE_PASS, COE_FAIL_BELOW),
}

# premium: the ratio of the FOB price to the specialty baseline.
PREMIUM_MIN = Decimal(str(get("PREMIUM_MIN", "2")))
PREMIUM_MAX = Decimal(str(get("PREMIUM_MAX", "10")))
# Pricing flags (marketplace.pricing PremiumFlag) that turn a premium warning into a failure.
PREMIUM_FAILING_FLAGS: frozenset[str] = frozenset(get("PREMIUM_FAILING_FLAGS", ("under_2x", "over_10x", "high_price")))

# disclosure: words in the lot's story or custody notes that suggest an undisclosed infusion
# (matched as parts of words, case-insensitively, in English, Spanish and Portuguese). A word under
# a negation ("no infusion", "sin aditivos", "sem infusão") is not a declaration (DOMAIN.md §10).
INFUSION_WORDS: tuple[str, ...] = tuple(
    get(
        "INFUSION_WORDS",
        (
            "infus",  # infused, infusion, infusión, infusionado, infusão
            "infundid",
            "co-ferment",  # co-fermented, co-fermentado, co-fermentación
            "coferment",
            "co ferment",
            "cofermenta",
            "fruit added",
            "added fruit",
            "fruta añadida",
            "frutas añadidas",
            "fruta agregada",
            "frutas agregadas",
            "fruta adicionada",
            "frutas adicionadas",
            "flavoured",
            "flavored",
            "flavouring",
            "flavoring",
            "aromatizad",
            "saborizad",
            "additive",
            "aditivo",
        ),
    )
)
# Words that negate an infusion word a few words later in the same clause ("no" only right before:
# in Portuguese "no" also means "in the").
NEGATION_WORDS: frozenset[str] = frozenset(
    get(
        "NEGATION_WORDS",
        (
            "not",
            "without",
            "nothing",
            "never",
            "none",
            "zero",
            "free",
            "neither",
            "nor",
            "sin",
            "ni",
            "nada",
            "nunca",
            "ningún",
            "ninguna",
            "ninguno",
            "ningun",
            "libre",
            "tampoco",
            "sem",
            "nem",
            "não",
            "nao",
            "nenhum",
            "nenhuma",
            "jamais",
            "livre",
        ),
    )
)
# Words that start a new statement inside a clause, so a negation before them does not reach past
# ("no yeast, but infused with cinnamon"; "sin levadura y con canela").
CLAUSE_WORDS: frozenset[str] = frozenset(
    get(
        "CLAUSE_WORDS",
        (
            "but",
            "however",
            "although",
            "though",
            "yet",
            "and",
            "then",
            "with",
            "after",
            "instead",
            "pero",
            "sino",
            "aunque",
            "y",
            "con",
            "luego",
            "después",
            "despues",
            "tras",
            "mas",
            "porém",
            "porem",
            "contudo",
            "e",
            "com",
            "depois",
            "após",
            "apos",
        ),
    )
)

# Hallmark results older than this are recomputed when the claim page opens, even without a signal
# (plot geometry edits, for instance, are not evidence_changed kinds).
HALLMARKS_MAX_AGE_SECONDS = int(get("HALLMARKS_MAX_AGE_SECONDS", 6 * 3600))

STATEMENT_MIN_LENGTH = int(get("STATEMENT_MIN_LENGTH", 20))
REASON_MIN_LENGTH = int(get("REASON_MIN_LENGTH", 5))
# Approving over a failing hallmark needs a written reason for that hallmark, at least this long.
OVERRIDE_REASON_MIN_LENGTH = int(get("OVERRIDE_REASON_MIN_LENGTH", 10))
OVERRIDE_REASON_MAX_LENGTH = int(get("OVERRIDE_REASON_MAX_LENGTH", 2000))
QUEUE_PAGE_SIZE = int(get("QUEUE_PAGE_SIZE", 50))

# Evidence page: a photo's GPS within this many metres of a plot counts as taken there, and its
# capture date within this many days of the harvest window counts as in season.
PHOTO_MAX_DISTANCE_M = float(get("PHOTO_MAX_DISTANCE_M", 500))
PHOTO_HARVEST_MARGIN_DAYS = int(get("PHOTO_HARVEST_MARGIN_DAYS", 30))
