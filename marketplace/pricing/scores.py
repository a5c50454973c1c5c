"""A lot's official score per protocol: the one place pricing and competition tagging read it.

Scores of different protocols are different scales (DOMAIN.md §1: an all-5 CVA sheet is 79.00), so
every rule here asks for the score *of a protocol*, never "the" score.

The cupping app is adding ``cupping.selectors.lot_official_scores(*, lot)`` (protocol → value).
Until it lands, ``official_scores`` reads the existing rows: ``cupping.LotScore`` (one row per
protocol, rebuilt from independent sheets of the lot's current harvest) and the lot's denormalised
catalogue score (``Lot.official_score`` + ``official_score_protocol``), which wins for its own
protocol because it is the figure buyers see. Swap the body of ``official_scores`` for the cupping
selector when it is merged; every caller goes through here. The set-based PostgreSQL sweep reads the
same rows in SQL (``sweep._scores_sql``); ``tests/pricing/test_sweep.py`` runs both on the same lots,
so a change here that the SQL does not follow fails there.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps

SCA2004 = "sca2004"
CVA = "cva"
# A catalogue score stored before protocols were recorded (or written without one) is on the
# 2004 form: it was the only form the marketplace accepted then.
LEGACY_PROTOCOL = SCA2004


def official_scores(lot_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """``{lot_id: {protocol: official score}}`` for every lot in ``lot_ids`` (two queries).

    Only the lot's current harvest counts: a LotScore row of another harvest year is ignored.
    """
    from lots.models import Lot

    ids = list(lot_ids)
    out: dict[int, dict[str, Decimal]] = {lot_id: {} for lot_id in ids}
    if not ids:
        return out
    rows = list(
        Lot.objects.filter(pk__in=ids).values_list("pk", "harvest_year", "official_score", "official_score_protocol")
    )
    harvest = {pk: year for pk, year, _score, _protocol in rows}
    try:
        lot_score = apps.get_model("cupping", "LotScore")
    except LookupError:  # pragma: no cover - the cupping app is always installed in this project
        lot_score = None
    if lot_score is not None:
        for lot_id, protocol, year, mean in lot_score.objects.filter(lot_id__in=ids).values_list(
            "lot_id", "protocol", "harvest_year", "mean"
        ):
            if year == harvest.get(lot_id):
                out[lot_id][protocol] = mean
    for pk, _year, score, protocol in rows:
        if score is not None:
            out[pk][protocol or LEGACY_PROTOCOL] = score
    return out


def lot_official_scores(lot_id: int) -> dict[str, Decimal]:
    """One lot's official scores by protocol (``{}`` when no independent grader has scored it)."""
    return official_scores([lot_id]).get(lot_id, {})
