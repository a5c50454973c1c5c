"""REST API: a lot's claim (read, submit), claim decisions and replies, the claim list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import idempotent, role_permission
from lots import selectors as lot_selectors
from lots.models import Lot
from marketplace.moderation import selectors, services
from marketplace.moderation.models import ClaimStatus, MicroLotClaim
from marketplace.moderation.serializers import (
    ClaimListSerializer,
    ClaimSerializer,
    ClaimSubmitSerializer,
    DecisionRequestSerializer,
    ReplyRequestSerializer,
    VerificationSerializer,
)


def _claim_response(request: Request, claim_id: int, code: int = status.HTTP_200_OK) -> Response:
    claim = selectors.with_details(selectors.claims_visible_to(request.user)).get(pk=claim_id)
    return Response(ClaimSerializer(claim).data, status=code)


class LotClaimApi(APIView):
    """The micro-lot claim of a lot: its producer and moderators read it; the producer submits it."""

    permission_classes = [role_permission(write=("producer",), read=("producer", "moderator"))]

    @extend_schema(responses={200: ClaimSerializer}, summary="The lot's claim with its hallmark results")
    def get(self, request: Request, lot_id: int) -> Response:
        claim = selectors.latest_claim_for_lot(lot_id, selectors.claims_visible_to(request.user))
        if claim is None:
            raise Http404
        if services.hallmarks_stale(claim):
            services.claim_refresh_if_stale(claim=claim)
        return _claim_response(request, claim.pk)

    @extend_schema(request=ClaimSubmitSerializer, responses={201: ClaimSerializer}, summary="Submit a claim")
    @idempotent("moderation.claim_submit")
    def post(self, request: Request, lot_id: int) -> Response:
        lot = get_object_or_404(Lot, pk=lot_id, producer=request.user)
        serializer = ClaimSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.claim_submit(lot=lot, by=request.user, **serializer.validated_data)
        return _claim_response(request, claim.pk, status.HTTP_201_CREATED)


class LotVerificationApi(APIView):
    """A lot's verification as buyers read it: the badge and every hallmark's result and reason,
    with the moderator's reason for each failing hallmark the approval was given despite."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: VerificationSerializer}, summary="The lot's badge and hallmark results")
    def get(self, request: Request, lot_id: int) -> Response:
        lot = get_object_or_404(lot_selectors.visible_lots(request.user), pk=lot_id)
        verification = selectors.verification_for_buyers(lot)
        data: dict[str, Any] = {
            "lot": lot.pk,
            "verified_badge": verification.badge if verification else None,
            "claim": verification.claim_id if verification else None,
            "approved_at": verification.approved_at if verification else None,
            "hallmarks": [vars(h) for h in verification.hallmarks] if verification else [],
        }
        return Response(VerificationSerializer(data).data)


class ClaimDecisionApi(APIView):
    """Moderators approve, reject or ask for more evidence, always with a reason."""

    permission_classes = [role_permission(write=("moderator",), read=("moderator",))]

    @extend_schema(request=DecisionRequestSerializer, responses={200: ClaimSerializer}, summary="Decide a claim")
    @idempotent("moderation.claim_decide")
    def post(self, request: Request, pk: int) -> Response:
        claim = get_object_or_404(MicroLotClaim, pk=pk)
        serializer = DecisionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.claim_decide(claim=claim, by=request.user, **serializer.validated_data)
        return _claim_response(request, claim.pk)


class ClaimReplyApi(APIView):
    """The producer answers a decision (new evidence itself goes through the lots and cupping APIs)."""

    permission_classes = [role_permission(write=("producer",), read=("producer",))]

    @extend_schema(request=ReplyRequestSerializer, responses={201: ClaimSerializer}, summary="Answer a decision")
    def post(self, request: Request, pk: int) -> Response:
        claim = get_object_or_404(MicroLotClaim, pk=pk, producer=request.user)
        serializer = ReplyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.claim_reply(claim=claim, by=request.user, note=serializer.validated_data["note"])
        return _claim_response(request, claim.pk, status.HTTP_201_CREATED)


@extend_schema(
    parameters=[OpenApiParameter("status", str, enum=ClaimStatus.values, required=False)],
    summary="Claims: every claim for moderators (waiting ones riskiest first), your own for producers",
)
class ClaimListApi(generics.ListAPIView):
    serializer_class = ClaimListSerializer
    permission_classes = [role_permission(write=(), read=("producer", "moderator"))]

    def get_queryset(self) -> QuerySet[MicroLotClaim]:
        if getattr(self, "swagger_fake_view", False):
            return MicroLotClaim.objects.none()
        qs = selectors.claims_visible_to(self.request.user)
        wanted: Any = self.request.query_params.get("status")
        if wanted is not None:
            if wanted not in ClaimStatus.values:
                raise exceptions.ValidationError({"status": [f"One of: {', '.join(ClaimStatus.values)}."]})
            qs = qs.filter(status=wanted)
        return qs.order_by("status", "-fail_count", "-warn_count", "waiting_since", "pk")
