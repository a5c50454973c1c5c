"""REST API for payments (/api/v1/payments/…): the same services as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import idempotent, role_permission
from marketplace.payments import selectors, services
from marketplace.payments.models import Payment, PayoutEntry
from marketplace.payments.serializers import (
    ConfirmResultSerializer,
    PaymentConfirmSerializer,
    PaymentOpenSerializer,
    PaymentSerializer,
    PayoutEntrySerializer,
    ReceivedSerializer,
    RefundRequestSerializer,
    RefundSerializer,
)

PARTIES = ("roaster", "producer", "moderator")


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payments you make or receive (moderators: all). Roasters open and pay; moderators refund."""

    serializer_class = PaymentSerializer
    permission_classes = [role_permission(write=("roaster", "moderator"), read=PARTIES)]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self) -> QuerySet[Payment]:
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payments_for(self.request.user)

    @extend_schema(request=PaymentOpenSerializer, responses={201: PaymentSerializer})
    @idempotent("payments.open")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PaymentOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_open(
            by=request.user,
            subject_kind=data.validated_data["subject_kind"],
            subject_id=data.validated_data["subject_id"],
            kind=data.validated_data.get("kind"),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PaymentConfirmSerializer, responses={200: ConfirmResultSerializer})
    @action(detail=True, methods=["post"])
    @idempotent("payments.confirm", atomic=False)
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        data = PaymentConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated, result = services.payment_attempt_start(
            payment=payment, by=request.user, payment_method=data.validated_data["payment_method"]
        )
        # A repeat while the first attempt is live gets that attempt back (the same number).
        return Response(
            {
                "status": result.status,
                "attempt": updated.attempts,
                "intent_id": result.intent_id,
                "client_secret": result.client_secret,
                "error": result.error,
                "payment": PaymentSerializer(updated).data,
            }
        )

    @extend_schema(request=RefundRequestSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"])
    @idempotent("payments.refund", atomic=False)
    def refunds(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        data = RefundRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_create(
            payment=payment, by=request.user, amount=data.validated_data["amount"], reason=data.validated_data["reason"]
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReceivedSerializer, responses={200: PaymentSerializer})
    @action(detail=True, methods=["post"])
    @idempotent("payments.received")
    def received(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        data = ReceivedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.payment_mark_received(
            payment=payment,
            by=request.user,
            amount=data.validated_data.get("amount"),
            reference=data.validated_data["reference"],
        )
        return Response(PaymentSerializer(updated).data)


class LedgerApi(ListAPIView):
    """The producer's payout ledger (moderators: everyone's)."""

    serializer_class = PayoutEntrySerializer
    permission_classes = [role_permission(write=(), read=("producer", "moderator"))]

    def get_queryset(self) -> QuerySet[PayoutEntry]:
        if getattr(self, "swagger_fake_view", False):
            return PayoutEntry.objects.none()
        return selectors.ledger_for(self.request.user)
