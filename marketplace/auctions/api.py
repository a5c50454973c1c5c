"""REST API: ``/api/v1/auctions/`` and ``/api/v1/auctions/{id}/bids/``. Same services as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.api import idempotent, role_permission
from marketplace.auctions import clock, selectors, services
from marketplace.auctions.models import Auction, AuctionStatus
from marketplace.auctions.serializers import (
    AuctionCreateSerializer,
    AuctionSerializer,
    BidCreateSerializer,
    BidHistorySerializer,
    BidPlacedSerializer,
)

CreatorPermission = role_permission(write=("producer", "moderator"))
BidderPermission = role_permission(write=("roaster",))


def _check_paging(request: Request) -> None:
    """Refuse malformed paging parameters (DRF's paginator silently ignores them)."""
    errors = {}
    for name in ("page", "page_size"):
        values = request.query_params.getlist(name)
        if len(values) > 1 or any(not v.isdigit() or int(v) < 1 for v in values):
            errors[name] = [_("A single positive whole number.")]
    if errors:
        raise ValidationError(errors)


class AuctionViewSet(viewsets.GenericViewSet):
    """Auctions of listed lots. Anyone may read; producers and moderators create; roasters bid."""

    serializer_class = AuctionSerializer
    # IsAuthenticatedOrReadOnly first also tells the schema that reads need no credentials.
    permission_classes = [IsAuthenticatedOrReadOnly, CreatorPermission]

    def get_queryset(self) -> QuerySet[Auction]:
        if getattr(self, "swagger_fake_view", False):
            return Auction.objects.none()
        # Auctions are public listings; per-user data (standing, maxima, reserves) is filtered in
        # selectors.auction_representation.
        return selectors.auctions_public()

    def get_permissions(self) -> list[Any]:
        if self.action == "bids" and self.request.method == "POST":
            return [IsAuthenticated(), BidderPermission()]
        if self.action == "bids":
            # The history is public after close; while open, selectors show only the caller's own bids.
            return [AllowAny()]
        return list(super().get_permissions())

    def get_throttles(self) -> list[Any]:
        if self.action == "bids" and self.request.method == "POST":
            self.throttle_scope = "bids"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def _data(self, auctions: list[Auction]) -> list[dict[str, Any]]:
        items = [item for auction in auctions for item in auction.items.all()]
        bidders = selectors.bidders_of(items)
        now = clock.now()
        return [selectors.auction_representation(a, self.request.user, bidders=bidders, now=now) for a in auctions]

    @extend_schema(
        responses={200: AuctionSerializer(many=True)},
        parameters=[
            OpenApiParameter(
                "status", str, enum=["running", "closed"], description="Running (open or upcoming) or closed."
            ),
            OpenApiParameter(
                "competition", bool, description="Only auctions with a nano-lot or a competition-tagged lot."
            ),
        ],
    )
    def list(self, request: Request) -> Response:
        _check_paging(request)
        queryset = self.get_queryset()
        params = request.query_params
        status_filter = params.get("status")
        if status_filter not in (None, "running", "closed"):
            raise ValidationError({"status": _("Use running or closed.")})
        if status_filter == "running":
            queryset = queryset.filter(status=AuctionStatus.OPEN)
        elif status_filter == "closed":
            queryset = queryset.filter(status=AuctionStatus.CLOSED)
        competition = params.get("competition")
        if competition not in (None, "true", "false"):
            raise ValidationError({"competition": _("Use true or false.")})
        if competition == "true":
            queryset = queryset.filter(pk__in=selectors.competition_auctions(running_only=False).values("pk"))
        page = self.paginate_queryset(queryset)
        assert page is not None
        return self.get_paginated_response(AuctionSerializer(self._data(list(page)), many=True).data)

    @extend_schema(responses={200: AuctionSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        auction = self.get_object()
        return Response(AuctionSerializer(self._data([auction])[0]).data)

    @extend_schema(request=AuctionCreateSerializer, responses={201: AuctionSerializer})
    @idempotent("auction-create")
    def create(self, request: Request) -> Response:
        serializer = AuctionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        auction = services.auction_create(
            by=request.user,
            title=data["title"],
            description=data.get("description", ""),
            currency=data["currency"],
            closing_mode=data["closing_mode"],
            extension_minutes=data["extension_minutes"],
            increment_per_kg=data["increment_per_kg"],
            increment_table=data.get("increment_table") or [],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            lots=[
                services.LotOffer(
                    lot=row["lot"],
                    opening_price_per_kg=row["opening_price_per_kg"],
                    reserve_price_per_kg=row.get("reserve_price_per_kg"),
                )
                for row in data["lots"]
            ],
        )
        fresh = selectors.auction_get(auction.pk)
        assert fresh is not None
        return Response(AuctionSerializer(self._data([fresh])[0]).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AuctionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        auction = self.get_object()
        services.auction_cancel(auction=auction, by=request.user)
        fresh = Auction.objects.prefetch_related("items__lot").get(pk=auction.pk)
        return Response(AuctionSerializer(self._data([fresh])[0]).data)

    @extend_schema(
        methods=["GET"],
        responses={200: BidHistorySerializer(many=True)},
        description=(
            "Bid history with anonymous bidder labels: your own bids while a lot is open, all bids after it closes."
        ),
    )
    @extend_schema(methods=["POST"], request=BidCreateSerializer, responses={201: BidPlacedSerializer})
    @action(detail=True, methods=["get", "post"])
    def bids(self, request: Request, pk: str | None = None) -> Response:
        auction = self.get_object()
        if request.method == "GET":
            _check_paging(request)
            rows: list[dict[str, Any]] = []
            for item in auction.items.all():
                rows.extend({**vars(row), "lot": item.pk} for row in selectors.bid_history(item, request.user))
            page = self.paginate_queryset(rows)  # type: ignore[arg-type]
            assert page is not None
            data = [
                {
                    "lot": r["lot"],
                    "seq": r["seq"],
                    "bidder": r["label"],
                    "kind": r["kind"],
                    "amount_per_kg": r["amount"],
                    "placed_at": r["placed_at"],
                    "mine": r["mine"],
                }
                for r in page
            ]
            return self.get_paginated_response(BidHistorySerializer(data, many=True).data)
        return self._place(request, pk=auction.pk)

    # The auction id is a keyword argument so that it is part of the idempotency fingerprint.
    @idempotent("auction-bid")
    def _place(self, request: Request, *, pk: int) -> Response:
        auction = selectors.auction_get(pk)
        assert auction is not None
        serializer = BidCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = list(auction.items.all())
        item_id = data.get("lot")
        if item_id is None:
            if len(items) != 1:
                raise ValidationError({"lot": _("This auction has several lots: say which one you bid on.")})
            item_id = items[0].pk
        if item_id not in {i.pk for i in items}:
            raise ValidationError({"lot": _("This lot is not in this auction.")})
        result = services.bid_place(
            item=item_id,
            bidder=request.user,
            amount_per_kg=data["amount_per_kg"],
            max_amount_per_kg=data.get("max_amount_per_kg"),
        )
        fresh = selectors.auction_get(auction.pk)
        assert fresh is not None
        body = {"leading": result.leading, "auction": self._data([fresh])[0]}
        return Response(BidPlacedSerializer(body).data, status=status.HTTP_201_CREATED)
