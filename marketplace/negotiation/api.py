"""REST API: /api/v1/samples/, /api/v1/negotiations/ (+ counter/accept/reject/withdraw), /api/v1/orders/.

Querysets are scoped to the two parties (moderators see all); every write calls the same service
as the browser pages. Accepting, which creates an order, honours ``Idempotency-Key``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import idempotent, role_permission
from marketplace.negotiation import selectors, services
from marketplace.negotiation import serializers as s
from marketplace.negotiation.models import (
    Negotiation,
    NegotiationStatus,
    Order,
    OrderStatus,
    SampleRequest,
    SampleStatus,
)

PARTIES = ("producer", "roaster")
READERS = ("producer", "roaster", "moderator")

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Repeat the key to replay the first response instead of acting twice.",
)


def status_filter(choices: Any) -> OpenApiParameter:
    return OpenApiParameter(name="status", type=str, enum=[c[0] for c in choices], required=False)


def filter_status(qs: QuerySet[Any], request: Request, choices: Any) -> QuerySet[Any]:
    value = request.query_params.get("status")
    if value is None:
        return qs
    if value not in {c[0] for c in choices}:
        raise exceptions.ValidationError({"status": ["Unknown status."]})
    return qs.filter(status=value)


class _ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [role_permission(write=PARTIES, read=READERS)]


@extend_schema_view(
    list=extend_schema(summary="Sample requests you are a party to", parameters=[status_filter(SampleStatus.choices)]),
    retrieve=extend_schema(summary="One sample request"),
)
class SampleViewSet(_ScopedViewSet):
    serializer_class = s.SampleSerializer

    def get_queryset(self) -> QuerySet[SampleRequest]:
        if getattr(self, "swagger_fake_view", False):
            return SampleRequest.objects.none()
        qs = selectors.samples_visible_to(self.request.user)
        return filter_status(qs, self.request, SampleStatus.choices) if self.action == "list" else qs

    def _out(self, sample: SampleRequest, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.SampleSerializer(sample).data, status=code)

    @extend_schema(
        summary="Request a sample (roasters)", request=s.SampleCreateSerializer, responses={201: s.SampleSerializer}
    )
    def create(self, request: Request) -> Response:
        data = s.SampleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        sample = services.sample_request(
            lot=v["lot"], by=request.user, kind=v["sample_type"], grams=v["grams"], message=v["message"]
        )
        return self._out(sample, status.HTTP_201_CREATED)

    @extend_schema(summary="Accept a sample request (producer)", request=None, responses={200: s.SampleSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._out(services.sample_accept(sample=self.get_object(), by=request.user))

    @extend_schema(
        summary="Decline a sample request (producer)",
        request=s.SampleDeclineSerializer,
        responses={200: s.SampleSerializer},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        data = s.SampleDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(
            services.sample_decline(sample=self.get_object(), by=request.user, reason=data.validated_data["reason"])
        )

    @extend_schema(
        summary="Record the sample's shipment (producer)",
        request=s.SampleShipSerializer,
        responses={200: s.SampleSerializer},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str | None = None) -> Response:
        data = s.SampleShipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._out(
            services.sample_ship(
                sample=self.get_object(), by=request.user, courier=v["courier"], tracking=v["tracking"]
            )
        )

    @extend_schema(summary="Confirm the sample arrived (roaster)", request=None, responses={200: s.SampleSerializer})
    @action(detail=True, methods=["post"])
    def arrived(self, request: Request, pk: str | None = None) -> Response:
        return self._out(services.sample_confirm_arrival(sample=self.get_object(), by=request.user))

    @extend_schema(
        summary="Give feedback on the sample (roaster)",
        request=s.SampleFeedbackSerializer,
        responses={200: s.SampleSerializer},
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        data = s.SampleFeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        sample = services.sample_feedback(
            sample=self.get_object(),
            by=request.user,
            score=v.get("score"),
            notes=v.get("notes", ""),
            cupping_sheet_id=v.get("cupping_sheet_id"),
        )
        return self._out(sample)


@extend_schema_view(
    list=extend_schema(
        summary="Negotiations you are a party to", parameters=[status_filter(NegotiationStatus.choices)]
    ),
    retrieve=extend_schema(summary="One negotiation with its whole thread"),
)
class NegotiationViewSet(_ScopedViewSet):
    serializer_class = s.NegotiationSerializer

    def get_queryset(self) -> QuerySet[Negotiation]:
        if getattr(self, "swagger_fake_view", False):
            return Negotiation.objects.none()
        qs = selectors.negotiations_visible_to(self.request.user)
        if self.action == "retrieve" or self.action == "list":
            qs = qs.prefetch_related("events__actor", "events__offer__by", "current_offer__by")
        return filter_status(qs, self.request, NegotiationStatus.choices) if self.action == "list" else qs

    def _out(self, negotiation: Negotiation, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.negotiation_for(user=self.request.user, pk=negotiation.pk)
        return Response(s.NegotiationSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Open a negotiation with a first offer (roasters)",
        request=s.NegotiationCreateSerializer,
        responses={201: s.NegotiationSerializer},
    )
    def create(self, request: Request) -> Response:
        data = s.NegotiationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = dict(data.validated_data)
        lot = v.pop("lot")
        negotiation = services.negotiation_open(lot=lot, by=request.user, **v)
        return self._out(negotiation, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Counter with a new offer (the side whose turn it is)",
        request=s.OfferTermsSerializer,
        responses={200: s.NegotiationSerializer},
    )
    @action(detail=True, methods=["post"])
    def counter(self, request: Request, pk: str | None = None) -> Response:
        data = s.OfferTermsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        negotiation = services.negotiation_counter(
            negotiation=self.get_object(), by=request.user, **data.validated_data
        )
        return self._out(negotiation)

    @extend_schema(
        summary="Accept the offer on the table: creates the order",
        request=None,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotent("negotiation-accept")
    def accept(self, request: Request, pk: str | None = None) -> Response:
        order = services.negotiation_accept(negotiation=self.get_object(), by=request.user)
        fresh = selectors.order_for(user=request.user, pk=order.pk)
        return Response(s.OrderSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reject the offer on the table", request=s.NoteSerializer, responses={200: s.NegotiationSerializer}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        data = s.NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(
            services.negotiation_reject(
                negotiation=self.get_object(), by=request.user, note=data.validated_data["note"]
            )
        )

    @extend_schema(summary="Withdraw (the roaster)", request=s.NoteSerializer, responses={200: s.NegotiationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        data = s.NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(
            services.negotiation_withdraw(
                negotiation=self.get_object(), by=request.user, note=data.validated_data["note"]
            )
        )


@extend_schema_view(
    list=extend_schema(
        summary="Orders (contracts) you are a party to", parameters=[status_filter(OrderStatus.choices)]
    ),
    retrieve=extend_schema(summary="One order with its events and claims"),
)
class OrderViewSet(_ScopedViewSet):
    serializer_class = s.OrderSerializer

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        qs = selectors.orders_visible_to(self.request.user).prefetch_related("events__actor", "claims")
        return filter_status(qs, self.request, OrderStatus.choices) if self.action == "list" else qs

    def _out(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.order_for(user=self.request.user, pk=order.pk)
        return Response(s.OrderSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Record the shipment (producer)", request=s.OrderShipSerializer, responses={200: s.OrderSerializer}
    )
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str | None = None) -> Response:
        data = s.OrderShipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._out(
            services.order_ship(order=self.get_object(), by=request.user, courier=v["courier"], tracking=v["tracking"])
        )

    @extend_schema(summary="Confirm delivery (roaster)", request=None, responses={200: s.OrderSerializer})
    @action(detail=True, methods=["post"], url_path="confirm-delivery")
    def confirm_delivery(self, request: Request, pk: str | None = None) -> Response:
        return self._out(services.order_confirm_delivery(order=self.get_object(), by=request.user))

    @extend_schema(
        summary="Open a quality claim within the claim window (roaster)",
        request=s.ClaimOpenSerializer,
        responses={201: s.OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        data = s.ClaimOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = self.get_object()
        services.claim_open(order=order, by=request.user, description=data.validated_data["description"])
        return self._out(order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel before payment (either party) or before shipment (moderators)",
        request=s.OrderCancelSerializer,
        responses={200: s.OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = s.OrderCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(
            services.order_cancel(order=self.get_object(), by=request.user, reason=data.validated_data["reason"])
        )


class SampleTermsApi(APIView):
    """The producer's price for one sample, copied onto each new sample request."""

    permission_classes = [role_permission(write=("producer",), read=("producer",))]

    @extend_schema(summary="Your sample price (producers)", responses={200: s.SampleTermsSerializer})
    def get(self, request: Request) -> Response:
        terms = selectors.sample_terms_of(request.user)
        data = {"fee": terms.fee, "currency": terms.currency} if terms else {"fee": Decimal("0.00"), "currency": "USD"}
        return Response(s.SampleTermsSerializer(data).data)

    @extend_schema(
        summary="Set your sample price (producers)",
        request=s.SampleTermsSerializer,
        responses={200: s.SampleTermsSerializer},
    )
    def put(self, request: Request) -> Response:
        data = s.SampleTermsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = services.sample_terms_set(producer=request.user, **data.validated_data)
        return Response(s.SampleTermsSerializer({"fee": terms.fee, "currency": terms.currency}).data)
