"""Writes of competitions: a producer records a result of their own lot; moderators decide it."""

from __future__ import annotations

from typing import Any

from tests.security.actions.base import LOT_STATES, Action, Ctx, becomes, creates, every, pk, target
from tests.security.matrix import MOD, OWNER

ACTIONS: list[Action] = []
add = ACTIONS.append


def _result(c: Ctx) -> dict[str, Any]:
    return {
        "lot": c.target.pk,
        "competition": "national",
        "name": f"Concurso Nacional {c.state}",
        "year": 2025,
        "rank": 1,
        "jury_score": "89.50",
        "jury_protocol": "sca2004",
        "url": "https://example.org/results",
    }


# Any lot of the producer's own may carry its competition history; nobody else records one.
add(
    Action(
        "competition-result-list",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("competitions.CompetitionResult", lot=target, name=lambda c: f"Concurso Nacional {c.state}"),
        parties=OWNER,
        data=_result,
        refusal_codes=frozenset({400}),  # another producer's lot named in the body
    )
)
add(
    Action(
        "competitions:lot_results",
        "post",
        "lot",
        every(LOT_STATES, OWNER),
        creates("competitions.CompetitionResult", lot=target, name=lambda c: f"Concurso Nacional {c.state}"),
        parties=OWNER,
        kwargs=pk("lot_id"),
        data=lambda c: {k: v for k, v in _result(c).items() if k != "lot"},
    )
)
# Only moderators verify or reject a pending result.
PENDING = {"pending": MOD}
add(
    Action(
        "competition-result-verify",
        "post",
        "competition_result",
        PENDING,
        becomes(status="verified"),
        parties=MOD,
        kwargs=pk(),
    )
)
add(
    Action(
        "competition-result-reject",
        "post",
        "competition_result",
        PENDING,
        becomes(status="rejected"),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {"reason": "The jury's published results do not list this lot."},
    )
)
add(
    Action(
        "competitions:decide",
        "post",
        "competition_result",
        PENDING,
        becomes(status="verified"),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {"to": "verified", "reason": ""},
    )
)
