from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.payments.models import BankTransfer, Payment, PaymentKind, PayoutEntry, Refund, SubjectKind


@extend_schema_field({"oneOf": [{"type": "string", "enum": list(PaymentKind.values)}]})
class PaymentKindField(serializers.ChoiceField):
    """The payment kind with its enum inline in the schema: "kind" names other apps' enums too,
    and drf-spectacular would otherwise name a shared component after the field and collide."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PaymentKind.choices, **kwargs)


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "currency", "reason", "status", "created_at"]
        read_only_fields = fields


class BankTransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankTransfer
        fields = ["id", "amount", "currency", "reference", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = PaymentKindField(read_only=True)
    lot = serializers.IntegerField(source="lot_id", read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    transfers = BankTransferSerializer(many=True, read_only=True)
    amount_due = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    checkout_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "kind",
            "subject_kind",
            "subject_id",
            "lot",
            "provider",
            "status",
            "currency",
            "amount",
            "fee_amount",
            "producer_amount",
            "amount_paid",
            "amount_refunded",
            "amount_due",
            "attempts",
            "intent_id",
            "failure_message",
            "description",
            "created_at",
            "paid_at",
            "refunds",
            "transfers",
            "checkout_url",
        ]
        read_only_fields = fields

    def get_checkout_url(self, obj: Payment) -> str:
        return f"/payments/{obj.public_id}/pay/"


class PaymentOpenSerializer(serializers.Serializer):
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    subject_id = serializers.IntegerField(min_value=1, max_value=2**62)
    kind = PaymentKindField(required=False)


class PaymentConfirmSerializer(serializers.Serializer):
    payment_method = serializers.CharField(max_length=255, help_text="A Stripe PaymentMethod id (pm_…).")


class ConfirmResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    attempt = serializers.IntegerField(help_text="The attempt's number; a repeat while it is live gets the same one.")
    intent_id = serializers.CharField(allow_blank=True, help_text="Empty while the attempt is still on its way.")
    client_secret = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)
    payment = PaymentSerializer()


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReceivedSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PayoutEntrySerializer(serializers.ModelSerializer):
    payment = serializers.UUIDField(source="payment.public_id", read_only=True)

    class Meta:
        model = PayoutEntry
        fields = ["id", "kind", "amount", "currency", "memo", "payment", "created_at"]
        read_only_fields = fields
