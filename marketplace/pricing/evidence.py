"""What the premium hallmark (moderation) needs to know about a lot's premium, as plain data.

``moderation.evidence.gather`` attaches ``premium_evidence(premium)`` to the claim's evidence as
``premium_detail``; ``moderation.hallmarks.check_premium`` reads it without touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import lazy

from marketplace.pricing import conf


@dataclass(frozen=True)
class PremiumEvidence:
    baseline_summary: str  # "the Transaction Guide 2023 (v6, Jan 2024) baseline for 2022/23 (all origins · …)"
    lot_harvest: str  # "2025/26"
    baseline_harvest: str  # "2022/23"
    years_stale: int | None
    stale_limit: int
    other_scale_note: str  # why a CVA-only lot was compared with the all-scores row, or ""
    competition: str  # the verified competition result, or ""
    competition_excused: bool  # a >10× or ≥ 200 USD/kg flag was replaced by the competition note


def premium_evidence(premium: Any) -> PremiumEvidence | None:
    """The premium as hallmark evidence; its texts are lazy, so each language renders its own."""
    if premium is None or not hasattr(premium, "baseline_summary"):
        return None

    def note(code: str) -> str:
        return next((n["text"] for n in premium.notes if n["code"] == code), "")

    result = premium.competition_result if premium.competition_result_id else None
    return PremiumEvidence(
        baseline_summary=lazy(lambda: premium.baseline_phrase, str)(),
        lot_harvest=premium.lot_harvest_label,
        baseline_harvest=premium.baseline_harvest_label,
        years_stale=premium.years_stale,
        stale_limit=conf.STALE_BASELINE_MAX_YEARS,
        other_scale_note=lazy(lambda: note("other_scale"), str)() if note("other_scale") else "",
        competition=lazy(lambda: result.title, str)() if result is not None else "",
        competition_excused=bool(premium.competition_excused),
    )
