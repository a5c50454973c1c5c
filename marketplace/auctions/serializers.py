from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.money import Currency
from marketplace.auctions import conf
from marketplace.auctions.models import ClosingMode

_PRICE: dict[str, Any] = {"max_digits": 14, "decimal_places": 4, "min_value": Decimal("0.0001")}
STANDINGS = ["none", "leading", "outbid", "won", "lost"]
PHASES = ["upcoming", "open", "closed", "cancelled"]
ITEM_STATUSES = ["open", "closing", "upcoming", "sold", "unsold", "cancelled"]


class AuctionLotSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the auctioned lot (use it as `lot` when bidding).")
    lot = serializers.IntegerField(help_text="Id of the catalogue lot.")
    lot_name = serializers.CharField()
    quantity_kg = serializers.DecimalField(max_digits=10, decimal_places=2)
    opening_price_per_kg = serializers.DecimalField(max_digits=14, decimal_places=4)
    current_price_per_kg = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    minimum_bid_per_kg = serializers.DecimalField(max_digits=14, decimal_places=4)
    ends_at = serializers.DateTimeField(
        allow_null=True, help_text="The live end; null while an event clock waits for every lot to get a bid."
    )
    status = serializers.ChoiceField(choices=ITEM_STATUSES)
    unsold_reason = serializers.CharField(allow_blank=True)
    bid_count = serializers.IntegerField()
    reserve_met = serializers.BooleanField()
    standing = serializers.ChoiceField(choices=STANDINGS, help_text="The caller's own standing on this lot.")
    my_max_per_kg = serializers.DecimalField(
        max_digits=14, decimal_places=4, allow_null=True, help_text="The caller's proxy maximum while leading."
    )
    reserve_price_per_kg = serializers.DecimalField(
        max_digits=14, decimal_places=4, allow_null=True, help_text="Shown to the creator and moderators only."
    )
    order = serializers.IntegerField(
        allow_null=True, help_text="The order made for the winner (winner and seller only)."
    )


class AuctionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    closing_mode = serializers.ChoiceField(choices=ClosingMode.choices)
    extension_minutes = serializers.IntegerField()
    increment_per_kg = serializers.DecimalField(max_digits=14, decimal_places=4)
    increment_table = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "Per-lot: the latest end over the auction's lots (soft close moves it). Event clock: the running"
            " clock's end once every lot has a bid, else the optional latest end for unbid lots (null if none)."
        ),
    )
    clock_running = serializers.BooleanField(
        help_text="Event clock: every lot has a bid, so all lots close together after the last bid on any lot."
    )
    status = serializers.ChoiceField(choices=PHASES)
    current_price_per_kg = serializers.DecimalField(
        max_digits=14, decimal_places=4, allow_null=True, help_text="For a one-lot auction; see `lots` for events."
    )
    standing = serializers.ChoiceField(choices=STANDINGS, help_text="The caller's own standing over all lots.")
    lots = AuctionLotSerializer(many=True)


class AuctionLotInputSerializer(serializers.Serializer):
    lot = serializers.IntegerField(min_value=1)
    opening_price_per_kg = serializers.DecimalField(**_PRICE)
    reserve_price_per_kg = serializers.DecimalField(required=False, allow_null=True, **_PRICE)


class AuctionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)
    closing_mode = serializers.ChoiceField(choices=ClosingMode.choices, default=ClosingMode.PER_LOT)
    extension_minutes = serializers.IntegerField(min_value=1, max_value=60, default=conf.DEFAULT_EXTENSION_MINUTES)
    increment_per_kg = serializers.DecimalField(**_PRICE)
    increment_table = serializers.ListField(
        child=serializers.ListField(child=serializers.DecimalField(**_PRICE), min_length=2, max_length=2),
        required=False,
        default=list,
        max_length=50,
        help_text='Steps by price level: [["100", "5"], ...] = from 100 per kg the increment is 5.',
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required for per-lot soft close. Event clock: an optional latest end that closes unbid lots.",
    )
    lots = AuctionLotInputSerializer(many=True, min_length=1, max_length=100)  # type: ignore[call-arg]


class BidCreateSerializer(serializers.Serializer):
    lot = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of the auctioned lot (from `lots[].id`); optional for one-lot auctions.",
    )
    amount_per_kg = serializers.DecimalField(**_PRICE)
    max_amount_per_kg = serializers.DecimalField(
        required=False,
        allow_null=True,
        help_text="A proxy maximum: the system bids for you by the minimum increment up to it.",
        **_PRICE,
    )


class BidHistorySerializer(serializers.Serializer):
    lot = serializers.IntegerField(help_text="Id of the auctioned lot.")
    seq = serializers.IntegerField()
    bidder = serializers.CharField(help_text="An anonymous label, or “You”.")
    kind = serializers.CharField()
    amount_per_kg = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    placed_at = serializers.DateTimeField()
    mine = serializers.BooleanField()


class BidPlacedSerializer(serializers.Serializer):
    leading = serializers.BooleanField()
    auction = AuctionSerializer()
