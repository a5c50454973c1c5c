"""What the premium hallmark (moderation) needs to know about a lot's premium, as plain data.

``moderation.evidence.gather`` attaches ``premium_evidence(premium)`` to the claim's evidence as
``premium_detail``; ``moderation.hallmarks.check_premium`` reads it without touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    if premium is None or not hasattr(premium, "baseline_summary"):
        return None
    notes = {note["code"]: note["text"] for note in premium.notes}
    result = premium.competition_result if premium.competition_result_id else None
    return PremiumEvidence(
        baseline_summary=premium.baseline_phrase,
        lot_harvest=premium.lot_harvest_label,
        baseline_harvest=premium.baseline_harvest_label,
        years_stale=premium.years_stale,
        stale_limit=conf.STALE_BASELINE_MAX_YEARS,
        other_scale_note=notes.get("other_scale", ""),
        competition=result.title if result is not None else "",
        competition_excused=bool(premium.competition_excused),
    )
