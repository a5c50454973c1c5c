"""REST API under /api/v1/: farms/, plots/, lots/, lots/{id}/photos/, lots/{id}/custody-events/,
lots/{id}/passport/. Producers write only their own; everyone reads public lots; drafts are private.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import role_permission
from lots import geo, selectors, services
from lots.forms import CatalogueFilterForm
from lots.models import CustodyEvent, Farm, Lot, LotPhoto, Plot
from lots.serializers import (
    ChainResultSerializer,
    CustodyEventSerializer,
    CustodyEventWriteSerializer,
    FarmSerializer,
    LotPhotoPrivateSerializer,
    LotPhotoSerializer,
    LotSerializer,
    LotWriteSerializer,
    PassportSerializer,
    PhotoUploadSerializer,
    PlotSerializer,
    TransitionSerializer,
    VarietyMatchSerializer,
)


class ExactDecimalJSONParser(JSONParser):
    """JSON bodies whose decimal numbers become Decimals: ``1.900000`` keeps its six decimal places.

    The default parser reads them as floats, and a float has no trailing zeros; coordinates need
    their digits for EUDR's six-decimal rule.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_float=Decimal, parse_constant=_no_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


class ExactDecimalJSONRenderer(JSONRenderer):
    """Writes Decimals as JSON numbers with every digit (DRF's encoder would make them floats)."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        return geo.dumps(data, default=self.encoder_class().default, separators=(",", ":"), allow_nan=False).encode()


OwnerOnly = role_permission(write=("producer",), read=("producer", "moderator"))
ProducerWrites = role_permission(write=("producer",))
ProducerOrModeratorWrites = role_permission(write=("producer", "moderator"))


@extend_schema_view(
    list=extend_schema(summary="Your farms (moderators: all farms)"),
    create=extend_schema(summary="Register a farm"),
)
class FarmViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = FarmSerializer
    permission_classes = [IsAuthenticated, OwnerOnly]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Farm]:
        if getattr(self, "swagger_fake_view", False):
            return Farm.objects.none()
        user = self.request.user
        qs = Farm.objects.order_by("name", "id")
        return qs if getattr(user, "is_moderator", False) else qs.filter(producer=user)  # type: ignore[misc]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.farm_create(producer=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.farm_update(
            farm=serializer.instance, by=self.request.user, data=serializer.validated_data
        )


class PlotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PlotSerializer
    permission_classes = [IsAuthenticated, OwnerOnly]
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Coordinates in and out as exact decimals (lots.geo).
    parser_classes = [ExactDecimalJSONParser]
    renderer_classes = [ExactDecimalJSONRenderer]

    def get_queryset(self) -> QuerySet[Plot]:
        if getattr(self, "swagger_fake_view", False):
            return Plot.objects.none()
        user = self.request.user
        qs = Plot.objects.select_related("farm").prefetch_related("varieties").order_by("farm__name", "name", "id")
        return qs if getattr(user, "is_moderator", False) else qs.filter(farm__producer=user)  # type: ignore[misc]

    def _data(self, validated: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in validated.items() if k not in ("farm", "variety_names")}
        if "variety_names" in validated:
            data["varieties"] = validated["variety_names"]
        return data

    def perform_create(self, serializer: Any) -> None:
        farm = serializer.validated_data["farm"]
        serializer.instance = services.plot_create(
            farm=farm, by=self.request.user, data=self._data(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        if "farm" in serializer.validated_data and serializer.validated_data["farm"].pk != serializer.instance.farm_id:
            raise exceptions.ValidationError({"farm": ["A plot cannot move to another farm."]})
        serializer.instance = services.plot_update(
            plot=serializer.instance, by=self.request.user, data=self._data(serializer.validated_data)
        )


DECIMAL_PARAMS = ("score_min", "score_max", "price_min", "price_max", "weight_min", "weight_max")
BOOLEAN_VALUES = {"true", "false", "True", "False", "1", "0"}
PUBLIC_STATUS_VALUES = {"listed", "reserved", "sold_out"}


def _strict_query(params: Any) -> None:
    """The HTML form is forgiving (a checkbox is "on"); the API says exactly what it accepts."""
    errors: dict[str, list[str]] = {}
    for name in ("verified", "mine"):
        if any(v not in BOOLEAN_VALUES for v in params.getlist(name)):
            errors[name] = ["Must be true or false."]
    if any(v not in PUBLIC_STATUS_VALUES for v in params.getlist("status")):
        errors["status"] = ["Must be listed, reserved or sold_out."]
    for name in DECIMAL_PARAMS:
        if any(v.strip() == "" for v in params.getlist(name)):
            errors[name] = ["Must be a number."]
    for name in ("verified", "mine", "status"):
        if len(params.getlist(name)) > 1:
            errors[name] = ["Give this parameter once."]
    if errors:
        raise exceptions.ValidationError(errors)


def _catalogue_parameters() -> list[OpenApiParameter]:
    params = []
    for name, field in CatalogueFilterForm.base_fields.items():
        kind = OpenApiTypes.STR
        if name in DECIMAL_PARAMS:
            kind = OpenApiTypes.DECIMAL
        elif name == "verified":
            kind = OpenApiTypes.BOOL
        params.append(OpenApiParameter(name, kind, description=str(field.label), many=name == "classification"))
    params.append(
        OpenApiParameter(
            "status", OpenApiTypes.STR, enum=["listed", "reserved", "sold_out"], description="Public status"
        )
    )
    params.append(OpenApiParameter("mine", OpenApiTypes.BOOL, description="Producers: only your own lots, any status"))
    return params


@extend_schema_view(
    list=extend_schema(summary="The catalogue of listed lots", parameters=_catalogue_parameters()),
    retrieve=extend_schema(summary="A public lot, or one of your own"),
)
class LotViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LotSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, ProducerWrites]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Lot]:
        if getattr(self, "swagger_fake_view", False):
            return Lot.objects.none()
        user = self.request.user
        base = selectors.lot_list_queryset(for_api=True)
        if self.action != "list":
            return base.filter(pk__in=selectors.visible_lots(user).values("pk")).order_by("-id")
        params = self.request.query_params
        _strict_query(params)
        form = CatalogueFilterForm(params)
        if params and not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        if params.get("mine") in ("1", "true", "True") and user.is_authenticated:
            return base.filter(producer=user).order_by("-updated_at", "-id")
        filters = form.filters() if params else selectors.CatalogueFilters()
        filters.status = params.get("status", "listed")
        return selectors.catalogue(filters, base=base)

    @extend_schema(request=LotWriteSerializer, responses={201: LotSerializer}, summary="Create a draft lot")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = LotWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        lot = services.lot_create(producer=request.user, data=data)
        return Response(self._out(lot), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LotWriteSerializer,
        responses={200: LotSerializer},
        summary="Change your lot; send the version you read (409 if someone changed it since)",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        lot = self.get_object()
        serializer = LotWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        lot = services.lot_update(lot=lot, by=request.user, data=data, expected_version=version)
        return Response(self._out(lot))

    def _out(self, lot: Lot) -> dict[str, Any]:
        fresh = selectors.lot_list_queryset(for_api=True).get(pk=lot.pk)
        return LotSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=TransitionSerializer, responses={200: LotSerializer}, summary="Change the lot's status")
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ProducerOrModeratorWrites])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        lot = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.lot_transition(
            lot=lot, to=serializer.validated_data["to"], by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(self._out(lot))

    @extend_schema(responses={200: PassportSerializer}, summary="EUDR passport: the lot's plots as GeoJSON")
    @action(detail=True, methods=["get"], renderer_classes=[ExactDecimalJSONRenderer])
    def passport(self, request: Request, pk: str | None = None) -> Response:
        lot = self.get_object()
        response = Response(selectors.passport(lot))
        response["Content-Disposition"] = f'inline; filename="passport-lot-{lot.pk}.geojson"'
        return response

    @extend_schema(responses={200: ChainResultSerializer}, summary="Verify the custody hash chain")
    @action(detail=True, methods=["get"], url_path="custody-verify")
    def custody_verify(self, request: Request, pk: str | None = None) -> Response:
        lot = self.get_object()
        return Response(services.custody_verify(lot).as_dict())


def _visible_lot(request: Request, pk: Any) -> Lot:
    return get_object_or_404(selectors.visible_lots(request.user), pk=pk)


class LotPhotosView(generics.ListCreateAPIView):
    """GET the lot's photos; POST one photo as multipart/form-data (its own upload view)."""

    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticatedOrReadOnly, ProducerWrites]
    pagination_class = None

    def get_serializer_class(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return LotPhotoSerializer
        lot = _visible_lot(self.request, self.kwargs["pk"])
        return LotPhotoPrivateSerializer if selectors.can_see_private(self.request.user, lot) else LotPhotoSerializer

    def get_queryset(self) -> QuerySet[LotPhoto]:
        if getattr(self, "swagger_fake_view", False):
            return LotPhoto.objects.none()
        lot = _visible_lot(self.request, self.kwargs["pk"])
        return LotPhoto.objects.filter(lot=lot).order_by("created_at", "id")

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer}, responses={201: LotPhotoPrivateSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        lot = _visible_lot(request, kwargs["pk"])
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["image"]
        photos = services.photos_add(
            lot=lot,
            by=request.user,
            uploads=[
                services.PhotoUpload(
                    data=upload.read(),
                    kind=serializer.validated_data["kind"],
                    caption=serializer.validated_data["caption"],
                    name=upload.name,
                )
            ],
        )
        out = LotPhotoPrivateSerializer(photos[0], context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)


class LotPhotoDetailView(generics.RetrieveDestroyAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, ProducerWrites]

    def get_serializer_class(self) -> Any:
        return LotPhotoSerializer

    def get_queryset(self) -> QuerySet[LotPhoto]:
        if getattr(self, "swagger_fake_view", False):
            return LotPhoto.objects.none()
        lot = _visible_lot(self.request, self.kwargs["lot_pk"])
        return LotPhoto.objects.filter(lot=lot)

    def perform_destroy(self, instance: LotPhoto) -> None:
        services.photo_remove(photo=instance, by=self.request.user)


class LotCustodyEventsView(generics.ListCreateAPIView):
    """The lot's custody chain in order; POST appends an event (JSON, or multipart with documents)."""

    serializer_class = CustodyEventSerializer
    parser_classes = [JSONParser, MultiPartParser]
    permission_classes = [IsAuthenticatedOrReadOnly, ProducerWrites]

    def get_queryset(self) -> QuerySet[CustodyEvent]:
        if getattr(self, "swagger_fake_view", False):
            return CustodyEvent.objects.none()
        lot = _visible_lot(self.request, self.kwargs["pk"])
        return CustodyEvent.objects.filter(lot=lot).prefetch_related("documents").order_by("seq")

    @extend_schema(request=CustodyEventWriteSerializer, responses={201: CustodyEventSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        lot = _visible_lot(request, kwargs["pk"])
        if lot.producer_id != request.user.pk:
            raise PermissionDenied("Only the producer who owns this lot can record its custody.")
        data: Any = request.data
        if hasattr(data, "getlist"):
            data = {k: data.get(k) for k in data if k != "documents"} | {
                "documents": request.FILES.getlist("documents")
            }
        serializer = CustodyEventWriteSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        docs = [services.DocumentUpload(name=f.name, data=f.read()) for f in values.pop("documents", [])]
        event = services.custody_event_add(lot=lot, by=request.user, documents=docs, **values)
        event = CustodyEvent.objects.prefetch_related("documents").get(pk=event.pk)
        return Response(CustodyEventSerializer(event).data, status=status.HTTP_201_CREATED)


class VarietyMatchView(generics.GenericAPIView):
    """``GET /api/v1/varieties/match/?name=pink borbon``: what the name would be stored as."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = VarietyMatchSerializer

    @extend_schema(
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, required=True, description="A variety as typed")],
        responses={200: VarietyMatchSerializer},
        summary="Match a typed variety name to the canonical list",
    )
    def get(self, request: Request) -> Response:
        name = request.query_params.get("name", "")
        if not name.strip() or len(name) > 100 or any(unicodedata.category(c) == "Cc" for c in name):
            raise exceptions.ValidationError({"name": ["Give a variety name of at most 100 characters."]})
        match = services.variety_match(name)
        return Response(
            {
                "name": match.text,
                "variety": match.variety.name if match.variety else None,
                "suggestion": match.suggestion.name if match.suggestion else None,
                "needs_confirmation": match.suggestion is not None,
                "score": match.score,
                "family": match.family,
                "members": list(match.members),
                "message": match.message,
            }
        )
