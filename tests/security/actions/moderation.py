"""Writes of moderation: micro-lot claims, decisions, replies, recomputing hallmarks."""

from __future__ import annotations

from tests.security.actions.base import (
    LOT_STATES,
    STATEMENT,
    Action,
    Ctx,
    becomes,
    changes,
    creates,
    every,
    pk,
    target,
)
from tests.security.matrix import (
    MOD,
    NOBODY,
    OWNER,
)

ACTIONS: list[Action] = []
add = ACTIONS.append


def _claim_decision(c: Ctx) -> str:
    return {"submitted": "request_evidence", "evidence_requested": "reject", "approved": "reject"}.get(
        c.state, "reject"
    )


DECIDED = {"request_evidence": "evidence_requested", "reject": "rejected"}


# --- micro-lot claims -----------------------------------------------------------------------------
# A producer claims a lot with no active claim; the "submitted" lot has one already.
CLAIMABLE = every(LOT_STATES, OWNER, submitted=NOBODY, withdrawn=NOBODY)
add(
    Action(
        "api-lot-claim",
        "post",
        "lot",
        CLAIMABLE,
        creates("moderation.MicroLotClaim", lot=target, statement=STATEMENT),
        parties=OWNER,
        kwargs=pk("lot_id"),
        data=lambda c: {"kind": "micro", "isolation": "geographic", "statement": STATEMENT},
    )
)
add(
    Action(
        "moderation:submit",
        "post",
        "lot",
        CLAIMABLE,
        creates("moderation.MicroLotClaim", lot=target, statement=STATEMENT),
        parties=OWNER,
        kwargs=pk("lot_id"),
        data=lambda c: {"kind": "micro", "isolation": "geographic", "statement": STATEMENT},
    )
)
DECIDABLE = {"submitted": MOD, "evidence_requested": MOD, "approved": MOD, "rejected": NOBODY}
add(
    Action(
        "api-claim-decision",
        "post",
        "claim",
        DECIDABLE,
        becomes(status=lambda c: DECIDED[_claim_decision(c)]),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {"decision": _claim_decision(c), "reason": "Matrix: checked against the evidence."},
    )
)
add(
    Action(
        "moderation:decide",
        "post",
        "claim",
        DECIDABLE,
        becomes(status=lambda c: DECIDED[_claim_decision(c)]),
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {
            "decision": _claim_decision(c),
            "reason": "Matrix: checked against the evidence.",
            "evidence_version": c.target.evidence_version,
            "seen_status": c.target.status,
        },
    )
)
REPLIABLE = {"submitted": OWNER, "evidence_requested": OWNER, "approved": OWNER, "rejected": NOBODY}
for _route in ("api-claim-reply", "moderation:reply"):
    add(
        Action(
            _route,
            "post",
            "claim",
            REPLIABLE,
            creates("moderation.ClaimReply", claim=target, note="matrix reply"),
            parties=OWNER,
            kwargs=pk(),
            data=lambda c: {"note": "matrix reply"},
        )
    )
add(
    Action(
        "moderation:recompute",
        "post",
        "claim",
        every(("submitted", "evidence_requested", "approved"), MOD),
        changes("hallmarks_computed_at"),
        kwargs=pk(),
    )
)


# Approval: over failing hallmarks only with a written override for each (issue 13, "A badge over
# failing hallmarks"); the moderator gives one for every hallmark that fails on the evidence now.
def _failing(c: Ctx) -> list[str]:
    from marketplace.moderation import evidence, hallmarks
    from marketplace.moderation.models import HallmarkOutcome

    findings = hallmarks.evaluate_translated(evidence.gather(claim=c.fresh()))
    return [f.key for f in findings if f.result == HallmarkOutcome.FAIL]


OVERRIDE = "Matrix: the moderator checked this on the farm visit."


def _approved(c: Ctx) -> None:
    from marketplace.moderation.models import ClaimDecision

    claim = c.fresh()
    assert claim.status == "approved", f"the claim is {claim.status}"
    assert claim.lot.verified_badge, "the lot has no badge"
    decision = ClaimDecision.objects.filter(claim=claim, decision="approve").latest("created_at")
    assert decision.overrides == dict.fromkeys(_failing(c), OVERRIDE), decision.overrides


APPROVABLE = {"submitted": MOD, "evidence_requested": MOD, "approved": NOBODY, "rejected": NOBODY}
add(
    Action(
        "api-claim-decision",
        "post",
        "claim",
        APPROVABLE,
        _approved,
        parties=MOD,
        kwargs=pk(),
        data=lambda c: {
            "decision": "approve",
            "reason": "Matrix: checked against the evidence.",
            "overrides": dict.fromkeys(_failing(c), OVERRIDE),
        },
        label="approve-with-overrides",
    )
)
add(
    Action(
        "moderation:decide",
        "post",
        "claim",
        APPROVABLE,
        _approved,
        parties=MOD,
        kwargs=pk(),
        data=lambda c: (
            {
                "decision": "approve",
                "reason": "Matrix: checked against the evidence.",
                "evidence_version": c.target.evidence_version,
                "seen_status": c.target.status,
            }
            | {f"override_{key}": OVERRIDE for key in _failing(c)}
        ),
        label="approve-with-overrides",
    )
)
