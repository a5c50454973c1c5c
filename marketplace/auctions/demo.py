"""Demo auctions: a producer's nano-lot with a soft close, and a moderator's event with one clock."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone

from accounts.models import User
from lots.models import Lot, LotStatus
from marketplace.auctions import services
from marketplace.auctions.models import Auction

NANO_TITLE = "Jaramillo Gesha nano-lot"
NANO_CODE = "HR-25-N1"
EVENT_TITLE = "Best of Chiriquí 2026"


def _listed(producer_email: str, code: str) -> Lot | None:
    return Lot.objects.filter(producer__email=producer_email, code=code, status=LotStatus.LISTED).first()


def _demo_nano_lot(stdout: IO[str]) -> Lot | None:
    """A 24 kg Gesha of producer2, cupped 89.5 by the independent demo grader: a competition lot."""
    from lots import services as lots_services

    producer = User.objects.filter(email="producer2@demo.coffee").first()
    grader = User.objects.filter(email="grader@demo.coffee").first()
    if producer is None:
        return None
    lot = Lot.objects.filter(producer=producer, code=NANO_CODE).first()
    if lot is not None:
        return lot
    farm = producer.farms.prefetch_related("plots").first()
    if farm is None or not farm.plots.exists():
        return None
    lot = lots_services.lot_create(
        producer=producer,
        data={
            "name": "Jaramillo Gesha nano-lot",
            "code": NANO_CODE,
            "variety": "Gesha",
            "process": "washed",
            "additives": "none",
            "harvest_year": 2025,
            "harvest_start": datetime.date(2025, 12, 1),
            "harvest_end": datetime.date(2025, 12, 20),
            "weight_kg": "24",
            "price": "180",
            "currency": "USD",
            "price_unit": "kg",
            "incoterm": "FOB",
            "incoterm_place": "Balboa",
            "story": "One day's picking from the top rows, fermented 36 hours in tank.",
            "farm": farm,
            "plots": [farm.plots.first()],
        },
    )
    lots_services.lot_transition(lot=lot, to=LotStatus.LISTED, by=producer, reason="demo")
    if grader is not None:
        try:
            from cupping import scoring
            from cupping.services import sheet_submit

            values = dict.fromkeys(scoring.SCA_QUALITY, Decimal("8.50")) | {
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
                cupped_on=timezone.localdate() - datetime.timedelta(days=2),
                independent=True,
                values=values,
                notes="Jasmine, peach, bergamot.",
            )
        except Exception as exc:  # the cupping app owns scoring; the demo still works without it
            stdout.write(f"  auctions demo: no cupping sheet for the nano-lot ({exc})\n")
    lot.refresh_from_db()
    return lot


def seed(stdout: IO[str]) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    roaster = User.objects.filter(email="roaster@demo.coffee").first()
    moderator = User.objects.filter(email="moderator@demo.coffee").first()

    nano = _demo_nano_lot(stdout)
    if nano is not None and nano.status != LotStatus.LISTED:
        nano = None
    if nano and not Auction.objects.filter(title=NANO_TITLE).exists():
        auction = services.auction_create(
            by=nano.producer,
            title=NANO_TITLE,
            description="24 kg of washed Gesha. Soft close: a bid in the last 3 minutes adds 3 more.",
            lots=[services.LotOffer(lot=nano, opening_price_per_kg="150", reserve_price_per_kg="200")],
            starts_at=now - datetime.timedelta(hours=1),
            ends_at=now + datetime.timedelta(days=3),
            increment_per_kg="1",
            increment_table=[["200", "2"], ["400", "5"]],
        )
        if roaster is not None:
            services.bid_place(
                item=auction.items.get().pk, bidder=roaster, amount_per_kg="150", max_amount_per_kg="170"
            )
        stdout.write(f"  auctions: {NANO_TITLE}\n")

    lots = [
        lot
        # One origin for a "Best of" event: only Panamanian lots of Chiriquí, none over 1,000 kg.
        for lot in (_listed("producer2@demo.coffee", "HR-25-07"), _listed("producer2@demo.coffee", "HR-25-08"))
        if lot is not None
    ]
    if moderator and lots and not Auction.objects.filter(title=EVENT_TITLE).exists():
        services.auction_create(
            by=moderator,
            title=EVENT_TITLE,
            description="A multi-lot event: once every lot has a bid one clock runs for all, "
            "and any bid resets it (Cup of Excellence style).",
            lots=[services.LotOffer(lot=lot, opening_price_per_kg="60") for lot in lots],
            starts_at=now - datetime.timedelta(hours=2),
            # A latest end only for lots nobody bids on; the clock itself has no scheduled end.
            ends_at=now + datetime.timedelta(days=5),
            increment_per_kg="1",
            increment_table=[["100", "2"], ["300", "5"]],
            closing_mode="event_clock",
        )
        stdout.write(f"  auctions: {EVENT_TITLE} ({len(lots)} lots)\n")

    counts = services.competition_sweep()
    if counts["tagged"]:
        stdout.write(f"  competition: {counts['tagged']} lots tagged\n")
