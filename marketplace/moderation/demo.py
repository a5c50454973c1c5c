"""Demo claims: one approved (every hallmark passes, badge shown), one waiting in the moderators'
queue with failing hallmarks, one asking for evidence.

The demo never approves over a failing hallmark: if the approved lot's evidence does not pass
(someone changed another app's demo data), its claim stays in the queue and the output says why.
"""

from __future__ import annotations

import io
from typing import IO

from django.core.exceptions import ValidationError
from PIL import Image, ImageDraw

from accounts.models import User
from lots.models import Lot, LotStatus
from marketplace.moderation import services
from marketplace.moderation.models import MicroLotClaim

PLAN = [
    # (producer e-mail, index among their claimable lots, outcome)
    ("producer@demo.coffee", 0, "approve"),
    ("producer2@demo.coffee", 0, "pending"),
    ("producer@demo.coffee", 1, "request_evidence"),
]

REASONS = {
    "approve": "Reviewed every hallmark against the evidence and the producer's answers: verified.",
    "request_evidence": "Please add a plot photo and the green-grading report.",
}


def signed_sheet_scan(label: str) -> bytes:
    """A stand-in for the photo of a signed paper cupping sheet."""
    image = Image.new("RGB", (800, 1100), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for y in range(120, 1000, 40):
        draw.line([60, y, 740, y], fill=(200, 200, 200))
    draw.text((60, 60), label, fill=(20, 20, 20))
    draw.line([480, 1040, 740, 1030], fill=(20, 20, 120), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def attach_signed_originals(lot: Lot) -> None:
    """The demo grader's sheets of the lot to be approved get their signed originals (hallmark 6)."""
    from cupping.models import CuppingSheet
    from cupping.services import sheet_attach_original

    for sheet in CuppingSheet.objects.filter(lot=lot, status="active", original="").select_related("grader"):
        sheet_attach_original(
            sheet_id=sheet.pk, by=sheet.grader, data=signed_sheet_scan(f"{lot.code} {sheet.protocol}"), filename="s.jpg"
        )


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
        if outcome == "approve":
            attach_signed_originals(lot)
        claim = services.claim_submit(
            lot=lot,
            by=lot.producer,
            kind=lot.classification,
            isolation="geographic",
            statement="Picked on separate days from one named plot, fermented and dried apart, milled as its own lot.",
        )
        services.claim_recompute(claim_id=claim.pk)
        if outcome != "pending" and moderator is not None:
            try:
                services.claim_decide(claim=claim, by=moderator, decision=outcome, reason=REASONS[outcome])
            except ValidationError as exc:
                # Failing hallmarks: a demo moderator does not approve despite them.
                stdout.write(f"moderation demo: {lot.name} left in the queue ({'; '.join(exc.messages)})\n")
        made += 1
    stdout.write(f"moderation demo: {made} claim(s)\n")
