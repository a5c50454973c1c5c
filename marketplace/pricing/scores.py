"""A lot's official score per protocol: the one place pricing and competition tagging read it.

Scores of different protocols are different scales (DOMAIN.md §1: an all-5 CVA sheet is 79.00), so
every rule here asks for the score *of a protocol*, never "the" score.

The source is ``cupping.selectors.lot_official_scores(*, lot)``: one row per protocol, from the
counting (independent) sheets of the lot's current harvest. A catalogue score on the lot
(``Lot.official_score`` + ``official_score_protocol``) fills in only a protocol the cupping rows
lack (scores written outside the cupping services, e.g. imported history); a catalogue score with
no protocol is on the 2004 form, the only form the marketplace accepted before protocols were
recorded. The set-based PostgreSQL sweep reads the same rows in SQL (``sweep._scores_sql``);
``tests/pricing/test_sweep.py`` runs both on the same lots, so a change here that the SQL does not
follow fails there.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

SCA2004 = "sca2004"
CVA = "cva"
LEGACY_PROTOCOL = SCA2004


def official_scores(lot_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """``{lot_id: {protocol: official score}}`` for every lot in ``lot_ids`` (two queries)."""
    from cupping.selectors import lot_official_scores
    from lots.models import Lot

    ids = list(lot_ids)
    out: dict[int, dict[str, Decimal]] = {lot_id: {} for lot_id in ids}
    if not ids:
        return out
    lots = (
        Lot.objects.filter(pk__in=ids)
        .only("pk", "harvest_year", "official_score", "official_score_protocol")
        .prefetch_related("official_scores")
    )
    for lot in lots:
        scores = {protocol: score.value for protocol, score in lot_official_scores(lot=lot).items()}
        if lot.official_score is not None:
            scores.setdefault(lot.official_score_protocol or LEGACY_PROTOCOL, lot.official_score)
        out[lot.pk] = scores
    return out


def lot_official_scores(lot_id: int) -> dict[str, Decimal]:
    """One lot's official scores by protocol (``{}`` when no independent grader has scored it)."""
    return official_scores([lot_id]).get(lot_id, {})
