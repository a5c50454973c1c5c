"""Demo cupping data: the demo grader cups the demo producer's lots (if the lots app made any)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone

from accounts.models import User
from cupping import scoring
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading
from cupping.services import grading_submit, request_create, sheet_submit
from lots.models import PUBLIC_STATUSES, Lot


def seed(stdout: IO[str]) -> None:
    grader = User.objects.filter(email="grader@demo.coffee").select_related("q_grader_profile").first()
    producer = User.objects.filter(email="producer@demo.coffee").first()
    if grader is None or producer is None:
        stdout.write("cupping demo: demo users missing, skipped\n")
        return
    lots = list(
        Lot.objects.filter(producer__email__in=["producer@demo.coffee", "producer2@demo.coffee"]).order_by("id")
    )
    if not lots:
        stdout.write("cupping demo: no demo lots yet, skipped\n")
        return
    day = timezone.localdate() - datetime.timedelta(days=3)
    made = 0
    for i, lot in enumerate(lots):
        if lot.status not in PUBLIC_STATUSES:
            continue
        if not CuppingSheet.objects.filter(lot=lot, grader=grader).exists():
            bump = Decimal("0.25") * (i % 4)
            values = dict.fromkeys(scoring.SCA_QUALITY, Decimal("8.00") + bump) | {
                "uniform_cups": 5,
                "clean_cups": 5,
                "sweet_cups": 5,
                "taint_cups": 0,
                "fault_cups": 0,
                "acidity_intensity": "high",
                "body_intensity": "medium",
            }
            sheet_submit(
                grader=grader,
                lot=lot,
                protocol=scoring.SCA2004,
                cupped_on=day,
                independent=True,
                values=values,
                notes="Jasmine, bergamot, long sweet finish.",
            )
            made += 1
        if i == 0 and not CuppingSheet.objects.filter(lot=lot, grader=grader, protocol=scoring.CVA).exists():
            cva = dict.fromkeys(scoring.CVA_AFFECTIVE, 7) | {
                "non_uniform_cups": 0,
                "defective_cups": 0,
                "intensities": {"acidity": 11, "sweetness": 9},
                "descriptors": ["floral", "fruity"],
            }
            sheet_submit(grader=grader, lot=lot, protocol=scoring.CVA, cupped_on=day, independent=True, values=cva)
            made += 1
        if i == 0 and not GreenGrading.objects.filter(lot=lot, grader=grader).exists():
            grading_submit(
                grader=grader,
                lot=lot,
                graded_on=day,
                data={
                    "defects": {"broken": 12, "immature": 6},
                    "quakers": 0,
                    "moisture_pct": "10.8",
                    "water_activity": "0.55",
                    "screen_size": 17,
                    "screen_off_pct": "3.0",
                },
            )
    if len(lots) > 1 and not CuppingRequest.objects.filter(lot__in=lots).exists():
        target = next((lot for lot in lots if lot.producer_id == producer.pk), None)
        if target is not None:
            request_create(lot=target, by=producer, note="Please cup the new harvest sample.")
    stdout.write(f"cupping demo: {made} sheets added\n")
