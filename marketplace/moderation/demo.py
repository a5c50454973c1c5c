"""Demo claims: one waiting in the moderators' queue, one approved (badge shown), one asking for evidence."""

from __future__ import annotations

from typing import IO

from accounts.models import User
from lots.models import Lot, LotStatus
from marketplace.moderation import services
from marketplace.moderation.models import MicroLotClaim

PLAN = [
    # (producer e-mail, index among their claimable lots, outcome)
    ("producer@demo.coffee", 0, "pending"),
    ("producer2@demo.coffee", 0, "approve"),
    ("producer@demo.coffee", 1, "request_evidence"),
]

REASONS = {
    "approve": "Reviewed every hallmark against the evidence and the producer's answers: verified.",
    "request_evidence": "Please add a plot photo and the green-grading report.",
}


def seed(stdout: IO[str]) -> None:
    moderator = User.objects.filter(email="moderator@demo.coffee").first()
    made = 0
    for email, index, outcome in PLAN:
        lots = list(
            Lot.objects.filter(
                producer__email=email, status=LotStatus.LISTED, classification__in=["micro", "nano"]
            ).order_by("id")
        )
        if len(lots) <= index:
            continue
        lot = lots[index]
        if MicroLotClaim.objects.filter(lot=lot).exists():
            continue
        claim = services.claim_submit(
            lot=lot,
            by=lot.producer,
            kind=lot.classification,
            isolation="geographic",
            statement="Picked on separate days from one named plot, fermented and dried apart, milled as its own lot.",
        )
        services.claim_recompute(claim_id=claim.pk)
        if outcome != "pending" and moderator is not None:
            services.claim_decide(claim=claim, by=moderator, decision=outcome, reason=REASONS[outcome])
        made += 1
    stdout.write(f"moderation demo: {made} claim(s)\n")
