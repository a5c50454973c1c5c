"""``/api/v1/me/profile/``: a producer reads and changes their profile and named group members.

Members carry their ``id``: send it back to keep a member (and every lot naming them) across
edits; an item without ``id`` adds a member; a member left out is removed, which is refused while
a lot names them.
"""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ProducerProfile, Role, User
from accounts.services import profile_upsert
from core.api import role_permission


class _Text(serializers.CharField):
    """A JSON string only: DRF's CharField would turn 0 into "0", which the schema says is wrong."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _Bool(serializers.BooleanField):
    """true or false only (DRF would also take 0, 1, "yes"…)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class _Int(serializers.IntegerField):
    """A JSON integer only (DRF would also take "5" and 5.0)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class GroupMemberSerializer(serializers.Serializer[Any]):
    id = _Int(required=False, allow_null=True, min_value=1, help_text="Omit for a new member")
    name = _Text(max_length=200)
    farm_name = _Text(max_length=200, required=False, allow_blank=True, default="")


class ProducerProfileSerializer(serializers.Serializer[Any]):
    organisation = _Text(max_length=200)
    country = serializers.RegexField(r"^[A-Za-z]{2}$")
    region = _Text(max_length=200, required=False, allow_blank=True, default="")
    is_group = _Bool(required=False, default=False)
    members = GroupMemberSerializer(many=True, required=False, max_length=200)  # type: ignore[call-arg]


def _out(profile: ProducerProfile) -> dict[str, Any]:
    return {
        "organisation": profile.organisation,
        "country": profile.country,
        "region": profile.region,
        "is_group": profile.is_group,
        "members": [
            {"id": m.pk, "name": m.name, "farm_name": m.farm_name} for m in profile.members.order_by("name", "pk")
        ],
    }


class ProducerProfileApi(APIView):
    permission_classes = [IsAuthenticated, role_permission(write=("producer",), read=("producer",))]

    @extend_schema(responses={200: ProducerProfileSerializer}, summary="Your producer profile")
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        profile = ProducerProfile.objects.filter(user=user).first()
        if profile is None:
            profile = profile_upsert(user=user, data={})
        return Response(_out(profile))

    @extend_schema(
        request=ProducerProfileSerializer,
        responses={200: ProducerProfileSerializer},
        summary="Change your producer profile; members keep their ids",
    )
    def put(self, request: Request) -> Response:
        user = cast(User, request.user)
        if user.role != Role.PRODUCER:  # pragma: no cover - the permission class refuses first
            raise serializers.ValidationError({"role": ["Producers only."]})
        serializer = ProducerProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "members" in data:
            data["members"] = [dict(m) for m in data["members"]] if data.get("is_group") else []
        profile = profile_upsert(user=user, data=data)
        return Response(_out(profile))
