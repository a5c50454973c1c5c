"""REST API: competition results of lots (producers record them, moderators verify or reject)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import role_permission
from marketplace.competitions import selectors, services
from marketplace.competitions.models import CompetitionResult
from marketplace.competitions.serializers import (
    DecisionSerializer,
    ResultSerializer,
    ResultUploadSerializer,
    ResultWriteSerializer,
)

ProducerWrites = role_permission(write=("producer",))
ModeratorWrites = role_permission(write=("moderator",))


@extend_schema_view(
    list=extend_schema(
        summary="Competition results you may read (verified ones of public lots; all of your own lots')",
        parameters=[OpenApiParameter("lot", OpenApiTypes.INT, description="Only this lot's results")],
    ),
    retrieve=extend_schema(summary="One competition result"),
)
class ResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ResultSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[CompetitionResult]:
        if getattr(self, "swagger_fake_view", False):
            return CompetitionResult.objects.none()
        qs = selectors.results_for(self.request.user)
        if self.action == "list":
            raw = self.request.query_params.getlist("lot")
            if raw:
                if len(raw) != 1 or not (raw[0].isascii() and raw[0].isdigit()):
                    raise exceptions.ValidationError({"lot": ["Give one lot id."]})
                qs = qs.filter(lot_id=int(raw[0]))
        return qs.order_by("-created_at", "-id")

    @extend_schema(
        request={"application/json": ResultWriteSerializer, "multipart/form-data": ResultUploadSerializer},
        responses={201: ResultSerializer},
        summary="Record a competition result of your lot (a moderator verifies it)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not (request.user.is_authenticated and getattr(request.user, "role", None) == "producer"):
            raise exceptions.PermissionDenied("Only producers record competition results.")
        multipart = hasattr(request.data, "getlist")
        serializer: Any = (ResultUploadSerializer if multipart else ResultWriteSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        lot = selectors.lot_for(request.user, values.pop("lot"))
        if lot is None:
            raise Http404
        upload = values.pop("document", None)
        document = services.DocumentUpload(name=upload.name, data=upload.read()) if upload else None
        result = services.result_create(lot=lot, by=request.user, document=document, **values)
        return Response(ResultSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses={200: ResultSerializer}, summary="Verify the result")
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ModeratorWrites])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "verified")

    @extend_schema(
        request=DecisionSerializer, responses={200: ResultSerializer}, summary="Reject the result (give a reason)"
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ModeratorWrites])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "rejected")

    def _decide(self, request: Request, to: str) -> Response:
        result = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = services.result_decide(
            result_id=result.pk, by=request.user, to=to, reason=serializer.validated_data["reason"]
        )
        return Response(ResultSerializer(decided).data)
