"""REST API: reference tables (public read, moderator write), a lot's premium, and sweeps."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import role_permission
from marketplace.pricing import selectors
from marketplace.pricing.serializers import (
    AdjustmentSerializer,
    BaselineSerializer,
    CPriceSerializer,
    PremiumSerializer,
    RateSerializer,
    SweepSerializer,
)
from marketplace.pricing.services import TABLES, reference_delete, reference_save, sweep_start

ModeratorWrites = role_permission(write=("moderator",))
ModeratorOnly = role_permission(write=("moderator",), read=("moderator",))


class _ReferenceViewSet(viewsets.ModelViewSet):
    """Anyone may read; only moderators write, through the audited service."""

    kind = ""
    # IsAuthenticatedOrReadOnly first: it is also what tells the schema that reads need no login.
    permission_classes = [IsAuthenticatedOrReadOnly, ModeratorWrites]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        model = TABLES[self.kind][0]
        if getattr(self, "swagger_fake_view", False):
            return model._default_manager.none()
        return model._default_manager.order_by(*(model._meta.ordering or []), "pk")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = reference_save(kind=self.kind, by=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = reference_save(
            kind=self.kind, by=self.request.user, data=serializer.validated_data, instance=serializer.instance
        )

    def perform_destroy(self, instance: Model) -> None:
        reference_delete(kind=self.kind, by=self.request.user, instance=instance)


class BaselineViewSet(_ReferenceViewSet):
    kind = "baseline"
    serializer_class = BaselineSerializer


class CPriceViewSet(_ReferenceViewSet):
    kind = "cprice"
    serializer_class = CPriceSerializer


class RateViewSet(_ReferenceViewSet):
    kind = "rate"
    serializer_class = RateSerializer


class AdjustmentViewSet(_ReferenceViewSet):
    kind = "adjustment"
    serializer_class = AdjustmentSerializer


class LotPremiumView(APIView):
    """A lot's premium: the baseline row used (edition, harvest year, origin/band/lot size), how stale
    it is, the score that chose its band, notes (stale baseline, another scale, competition lot) and
    the moderation flags."""

    permission_classes = [AllowAny]

    @extend_schema(responses=PremiumSerializer, operation_id="pricing_lot_premium")
    def get(self, request: Request, lot_id: int) -> Response:
        lot = selectors.lot_visible_to(request.user, lot_id)
        premium = selectors.lot_premium(lot_id) if lot is not None else None
        if premium is None:
            raise Http404
        return Response(PremiumSerializer(premium).data)


class SweepView(APIView):
    """Start a sweep of every listed lot; poll ``progress_url`` (or /jobs/<id>/) for progress."""

    permission_classes = [ModeratorOnly]

    @extend_schema(request=None, responses={202: SweepSerializer}, operation_id="pricing_sweep_start")
    def post(self, request: Request) -> Response:
        job = sweep_start(by=request.user, reason="started through the API")
        data = {"job_id": job.pk, "status": job.status, "progress_url": reverse("job_progress", args=[job.pk])}
        return Response(SweepSerializer(data).data, status=status.HTTP_202_ACCEPTED)
