"""Receivers of other apps' changes that move the official score."""

from __future__ import annotations

from typing import Any

# A licence change (verification given or withdrawn, expiry or number edited) decides whether a
# grader's sheets count; an account switched off stops them counting too.
LICENCE_FIELDS = frozenset({"licence_verified_at", "licence_expires_on", "licence_number"})


def on_evidence_changed(sender: Any, lot_id: int, kind: str, **kwargs: Any) -> None:
    # A new harvest year makes last year's sheets stop counting: rebuild the score after commit.
    if kind == "harvest_year":
        from cupping.tasks import recompute_lot_score

        # The project's task class logs (rather than raises) a broker failure after commit.
        recompute_lot_score.delay_on_commit(lot_id)


def _reassess_after_commit(grader_id: int) -> None:
    from cupping.models import CuppingSheet
    from cupping.tasks import reassess_grader_sheets

    if CuppingSheet.objects.filter(grader_id=grader_id).exists():
        reassess_grader_sheets.delay_on_commit(grader_id)


def on_qgrader_profile_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and not (set(update_fields) & LICENCE_FIELDS):
        return
    _reassess_after_commit(instance.user_id)


def on_user_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    # Logins save last_login only: skip those without a query.
    if update_fields is not None and "is_active" not in update_fields:
        return
    if getattr(instance, "role", None) != "q_grader" or kwargs.get("created"):
        return
    _reassess_after_commit(instance.pk)
