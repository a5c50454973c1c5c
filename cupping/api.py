from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from core.api import idempotent, role_permission
from core.models import Job
from core.selectors import job_visible_to
from cupping import imports, selectors, services
from cupping.models import CuppingRequest, CuppingSheet, GreenGrading, LotScore
from cupping.serializers import (
    GradingCreateSerializer,
    GradingSerializer,
    ImportCreateSerializer,
    ImportJobSerializer,
    LotScoreSerializer,
    OriginalUploadSerializer,
    RequestCreateSerializer,
    RequestSerializer,
    SheetCreateSerializer,
    SheetSerializer,
    WithdrawSerializer,
)
from lots.models import PUBLIC_STATUSES, Lot

GraderWrites = role_permission(write=(Role.Q_GRADER,), read=tuple(Role.values))
GraderOrModeratorWrites = role_permission(write=(Role.Q_GRADER, Role.MODERATOR), read=tuple(Role.values))


def _lot_param(request: Request) -> int | None:
    raw = request.query_params.getlist("lot")
    if not raw:
        return None
    if len(raw) > 1 or not raw[0].isdigit():
        raise exceptions.ValidationError({"lot": [_("Must be one lot number.")]})
    return int(raw[0])


def _lot(lot_id: int) -> Lot:
    lot = Lot.objects.filter(pk=lot_id).first()
    if lot is None:
        raise ValidationError({"lot": [_("No lot with this number.")]})
    return lot


class CuppingSheetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cupping sheets. The final score is always computed by the server."""

    serializer_class = SheetSerializer
    permission_classes = [GraderWrites]

    def get_permissions(self) -> Any:
        if self.action == "withdraw":
            return [GraderOrModeratorWrites()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[CuppingSheet]:
        if getattr(self, "swagger_fake_view", False):
            return CuppingSheet.objects.none()
        qs = selectors.sheets_visible_to(self.request.user)
        lot = _lot_param(self.request)
        if lot is not None:
            qs = qs.filter(lot_id=lot)
        return qs.order_by("-id")

    @extend_schema(
        parameters=[OpenApiParameter("lot", int, description="only sheets of this lot")],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SheetCreateSerializer, responses={201: SheetSerializer})
    @idempotent("cupping-sheets")
    def create(self, request: Request) -> Response:
        ser = SheetCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        lot = _lot(data.pop("lot"))
        req = None
        request_id = data.pop("request", None)
        if request_id:
            req = get_object_or_404(selectors.requests_visible_to(request.user), pk=request_id, lot=lot)
        sheet = services.sheet_submit(
            grader=request.user,
            lot=lot,
            protocol=data.pop("protocol"),
            cupped_on=data.pop("cupped_on"),
            independent=data.pop("independent"),
            notes=data.pop("notes", ""),
            descriptor_notes=data.pop("descriptor_notes", ""),
            values=data,
            request=req,
        )
        return Response(SheetSerializer(sheet).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses={200: SheetSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        sheet = self.get_object()
        ser = WithdrawSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        sheet = services.sheet_withdraw(sheet_id=sheet.pk, by=request.user, reason=ser.validated_data["reason"])
        return Response(SheetSerializer(sheet).data)


class SheetOriginalApi(APIView):
    """The signed original: GET it (grader, the lot's producer, moderators); POST a new one
    (the grader; multipart ``file``: JPEG/PNG/WebP image or PDF)."""

    permission_classes = [role_permission(write=(Role.Q_GRADER,), read=tuple(Role.values))]
    parser_classes = [MultiPartParser]

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        }
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        sheet = get_object_or_404(selectors.sheets_visible_to(request.user), pk=pk)
        if not selectors.can_see_original(request.user, sheet):
            raise exceptions.PermissionDenied(_("Only the grader, the lot's producer and moderators see the original."))
        if not sheet.original:
            raise NotFound(_("No signed original attached."))
        is_pdf = sheet.original_content_type == "application/pdf"
        # As on the page: a PDF downloads rather than opening in the browser under our origin.
        response = FileResponse(
            sheet.original.open("rb"),
            content_type=sheet.original_content_type,
            as_attachment=is_pdf,
            filename=f"sheet-{sheet.pk}-original.{'pdf' if is_pdf else 'jpg'}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request={"multipart/form-data": OriginalUploadSerializer}, responses={200: SheetSerializer})
    def post(self, request: Request, pk: int) -> Response:
        sheet = get_object_or_404(selectors.sheets_visible_to(request.user), pk=pk)
        ser = OriginalUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        upload = ser.validated_data["file"]
        sheet = services.sheet_attach_original(
            sheet_id=sheet.pk, by=request.user, data=upload.read(), filename=upload.name
        )
        return Response(SheetSerializer(sheet).data)


class GreenGradingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = GradingSerializer
    permission_classes = [GraderWrites]

    def get_permissions(self) -> Any:
        if self.action == "withdraw":
            return [GraderOrModeratorWrites()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[GreenGrading]:
        if getattr(self, "swagger_fake_view", False):
            return GreenGrading.objects.none()
        qs = selectors.gradings_visible_to(self.request.user)
        lot = _lot_param(self.request)
        if lot is not None:
            qs = qs.filter(lot_id=lot)
        return qs.order_by("-id")

    @extend_schema(parameters=[OpenApiParameter("lot", int, description="only reports of this lot")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=GradingCreateSerializer, responses={201: GradingSerializer})
    def create(self, request: Request) -> Response:
        ser = GradingCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        lot = _lot(data.pop("lot"))
        report = services.grading_submit(
            grader=request.user, lot=lot, graded_on=data.pop("graded_on"), notes=data.pop("notes", ""), data=data
        )
        return Response(GradingSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses={200: GradingSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        ser = WithdrawSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        report = services.grading_withdraw(grading_id=report.pk, by=request.user, reason=ser.validated_data["reason"])
        return Response(GradingSerializer(report).data)


class CuppingRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Producers ask for cupping; Q-graders see their queue and accept."""

    serializer_class = RequestSerializer

    def get_permissions(self) -> Any:
        if self.action == "accept":
            return [role_permission(write=(Role.Q_GRADER,), read=(Role.Q_GRADER,))()]
        return [role_permission(write=(Role.PRODUCER,), read=(Role.PRODUCER, Role.Q_GRADER, Role.MODERATOR))()]

    def get_queryset(self) -> QuerySet[CuppingRequest]:
        if getattr(self, "swagger_fake_view", False):
            return CuppingRequest.objects.none()
        return selectors.requests_visible_to(self.request.user).order_by("-id")

    @extend_schema(request=RequestCreateSerializer, responses={201: RequestSerializer})
    def create(self, request: Request) -> Response:
        ser = RequestCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        lot = Lot.objects.filter(pk=data["lot"], producer_id=request.user.pk).first()
        if lot is None:
            raise ValidationError({"lot": [_("Choose one of your lots.")]})
        grader = None
        if data.get("grader"):
            grader = User.objects.filter(pk=data["grader"]).select_related("q_grader_profile").first()
            if grader is None:
                raise ValidationError({"grader": [_("No such Q-grader.")]})
        req = services.request_create(
            lot=lot, by=request.user, grader=grader, protocol=data.get("protocol", ""), note=data.get("note", "")
        )
        return Response(RequestSerializer(req).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        req = services.request_accept(request_id=req.pk, by=request.user)
        return Response(RequestSerializer(req).data)

    @extend_schema(request=None, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        req = services.request_cancel(request_id=req.pk, by=request.user)
        return Response(RequestSerializer(req).data)


def _job_payload(job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "id": job.pk,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "created": result.get("created"),
        "confirmed": bool((job.params or {}).get("confirmed")),
        "preview": result.get("preview"),
        "errors": result.get("errors", []),
    }


class CuppingImportApi(APIView):
    """Start a CSV session import of your own sheets (the CSV text in ``csv``). Poll the returned
    job: once checked it is ``previewed`` with the preview; nothing is written until you POST
    ``…/confirm/``."""

    permission_classes = [role_permission(write=(Role.Q_GRADER,), read=(Role.Q_GRADER,))]

    @extend_schema(request=ImportCreateSerializer, responses={202: ImportJobSerializer})
    @idempotent("cupping-imports")
    def post(self, request: Request) -> Response:
        ser = ImportCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        job = imports.cupping_import_start(by=request.user, data=ser.validated_data["csv"])
        return Response(_job_payload(job), status=status.HTTP_202_ACCEPTED)


def _import_job(request: Request, job_id: Any) -> Job:
    job = job_visible_to(request.user, job_id)
    if job is None or job.kind != imports.KIND:
        raise NotFound()
    return job


class CuppingImportJobApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ImportJobSerializer})
    def get(self, request: Request, job_id: str) -> Response:
        return Response(_job_payload(_import_job(request, job_id)))


class CuppingImportConfirmApi(APIView):
    """Confirm a ``previewed`` import: its rows are written in the background (poll the job).
    Confirming twice is harmless; 409 if the job is not waiting for confirmation."""

    permission_classes = [role_permission(write=(Role.Q_GRADER,), read=(Role.Q_GRADER,))]

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    def post(self, request: Request, job_id: str) -> Response:
        job = imports.cupping_import_confirm(job_id=_import_job(request, job_id).pk, by=request.user)
        return Response(_job_payload(job), status=status.HTTP_202_ACCEPTED)


class CuppingImportCancelApi(APIView):
    """Discard a ``previewed`` import: the job fails with that reason and nothing is written."""

    permission_classes = [role_permission(write=(Role.Q_GRADER,), read=(Role.Q_GRADER,))]

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    def post(self, request: Request, job_id: str) -> Response:
        job = imports.cupping_import_cancel(job_id=_import_job(request, job_id).pk, by=request.user)
        return Response(_job_payload(job))


class LotScoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Official scores per lot and protocol (mean, graders, spread, attribute means)."""

    serializer_class = LotScoreSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[LotScore]:
        if getattr(self, "swagger_fake_view", False):
            return LotScore.objects.none()
        user = self.request.user
        # Only the lot's current harvest: a row left from an earlier one (before its rescore) is stale.
        qs = LotScore.objects.filter(harvest_year=F("lot__harvest_year"))
        if not getattr(user, "is_moderator", False):
            qs = qs.filter(Q(lot__status__in=PUBLIC_STATUSES) | Q(lot__producer=user))
        lot = _lot_param(self.request)
        if lot is not None:
            qs = qs.filter(lot_id=lot)
        return qs.order_by("lot_id", "protocol")

    @extend_schema(parameters=[OpenApiParameter("lot", int, description="only this lot")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
