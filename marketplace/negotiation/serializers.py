"""REST representations of samples, negotiations (with their offers and events) and orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.money import Currency, Incoterm, PriceUnit
from lots.models import PUBLIC_STATUSES, Lot
from marketplace.negotiation.models import (
    Negotiation,
    NegotiationEvent,
    Offer,
    Order,
    OrderEvent,
    QualityClaim,
    SampleKind,
    SampleRequest,
)


class DecimalString(serializers.DecimalField):
    """A decimal sent as a JSON string, as the schema says: money never travels as a float."""

    default_error_messages = {"not_string": 'Send decimals as strings, e.g. "12.50".'}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_string")
        return super().to_internal_value(data)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


# --- Samples ----------------------------------------------------------------------------------


class SampleSerializer(serializers.ModelSerializer):
    roaster = UserRefSerializer(read_only=True)
    producer = UserRefSerializer(read_only=True)
    feedback_late = serializers.BooleanField(read_only=True)
    # "sample_type" rather than "kind": the schema's enum names are global across apps.
    sample_type = serializers.ChoiceField(source="kind", choices=SampleKind.choices, read_only=True)

    class Meta:
        model = SampleRequest
        fields = [
            "id",
            "lot",
            "roaster",
            "producer",
            "sample_type",
            "grams",
            "message",
            "status",
            "fee",
            "currency",
            "decline_reason",
            "courier",
            "tracking",
            "feedback_due_at",
            "feedback_late",
            "feedback_score",
            "feedback_notes",
            "cupping_sheet_id",
            "requested_at",
            "accepted_at",
            "declined_at",
            "shipped_at",
            "arrived_at",
            "feedback_at",
        ]
        read_only_fields = fields


class SampleCreateSerializer(serializers.Serializer):
    # Only public lots: a draft must look exactly like a lot that does not exist.
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.filter(status__in=PUBLIC_STATUSES))
    sample_type = serializers.ChoiceField(choices=SampleKind.choices, default=SampleKind.OFFER)
    grams = serializers.IntegerField(min_value=1, max_value=100000)
    message = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class SampleDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class SampleShipSerializer(serializers.Serializer):
    courier = serializers.CharField(max_length=100)
    tracking = serializers.CharField(max_length=100)


class SampleFeedbackSerializer(serializers.Serializer):
    score = DecimalString(
        max_digits=5, decimal_places=2, required=False, allow_null=True, min_value=Decimal(0), max_value=Decimal(100)
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    cupping_sheet_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)


# --- Negotiations -----------------------------------------------------------------------------


class OfferSerializer(serializers.ModelSerializer):
    by = UserRefSerializer(read_only=True)
    price_per_lb = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True)
    # Plain text: the same choice set is the negotiation's "turn" enum (buyer / seller).
    side = serializers.CharField(read_only=True, help_text="buyer or seller")

    class Meta:
        model = Offer
        fields = [
            "seq",
            "by",
            "side",
            "quantity_kg",
            "price",
            "currency",
            "price_unit",
            "price_per_kg",
            "price_per_lb",
            "incoterm",
            "incoterm_place",
            "shipment_window",
            "condition",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class NegotiationEventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    offer = OfferSerializer(read_only=True, allow_null=True)

    class Meta:
        model = NegotiationEvent
        fields = ["action", "actor", "offer", "note", "data", "created_at"]
        read_only_fields = fields


class NegotiationSerializer(serializers.ModelSerializer):
    buyer = UserRefSerializer(read_only=True)
    seller = UserRefSerializer(read_only=True)
    current_offer = OfferSerializer(read_only=True, allow_null=True)
    events = NegotiationEventSerializer(many=True, read_only=True)

    class Meta:
        model = Negotiation
        fields = [
            "id",
            "lot",
            "buyer",
            "seller",
            "status",
            "turn",
            "expires_at",
            "no_longer_fits_at",
            "current_offer",
            "events",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = fields


class OfferTermsSerializer(serializers.Serializer):
    """The terms of an offer, for opening a negotiation and for a counter-offer."""

    quantity_kg = DecimalString(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    price = DecimalString(max_digits=14, decimal_places=4, min_value=Decimal("0.0001"))
    currency = serializers.ChoiceField(choices=Currency.choices)
    price_unit = serializers.ChoiceField(choices=PriceUnit.choices)
    incoterm = serializers.ChoiceField(choices=Incoterm.choices)
    incoterm_place = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    shipment_window = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    condition = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class NegotiationCreateSerializer(OfferTermsSerializer):
    # Only public lots: a draft must look exactly like a lot that does not exist.
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.filter(status__in=PUBLIC_STATUSES))


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- Orders -----------------------------------------------------------------------------------


class OrderEventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["action", "actor", "data", "created_at"]
        read_only_fields = fields


class QualityClaimSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualityClaim
        fields = ["id", "status", "description", "outcome", "resolution", "created_at", "resolved_at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    buyer = UserRefSerializer(read_only=True)
    seller = UserRefSerializer(read_only=True)
    number = serializers.CharField(read_only=True)
    price_per_lb = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)
    claims = QualityClaimSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "lot",
            "buyer",
            "seller",
            "status",
            "quantity_kg",
            "price",
            "price_unit",
            "price_per_kg",
            "price_per_lb",
            "currency",
            "incoterm",
            "incoterm_place",
            "shipment_window",
            "conditions",
            "total",
            "fee_percent",
            "marketplace_fee",
            "producer_receives",
            "source",
            "source_id",
            "claim_window_days",
            "courier",
            "tracking",
            "created_at",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "completed_at",
            "cancelled_at",
            "events",
            "claims",
        ]
        read_only_fields = fields


class OrderShipSerializer(serializers.Serializer):
    courier = serializers.CharField(max_length=100)
    tracking = serializers.CharField(max_length=100)


class ClaimOpenSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=5000)


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class SampleTermsSerializer(serializers.Serializer):
    fee = DecimalString(max_digits=10, decimal_places=2, min_value=Decimal(0))
    currency = serializers.ChoiceField(choices=Currency.choices)
