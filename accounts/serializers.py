from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import SELF_SERVICE_ROLES, ApiToken, User


class RegisterSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=[(r.value, r.label) for r in SELF_SERVICE_ROLES])
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    # Profile fields; which are required depends on the role (checked by the service).
    organisation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True)
    region = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_group = serializers.BooleanField(required=False, default=False)
    members = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=200)
    competition_alerts = serializers.BooleanField(required=False, default=False)
    licence_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    licence_expires_on = serializers.DateField(required=False)
    lab = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        required = {
            "producer": ("organisation", "country"),
            "roaster": ("company", "country"),
            "q_grader": ("licence_number", "licence_expires_on"),
        }[attrs["role"]]
        missing = {name: ["This field is required for this role."] for name in required if not attrs.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class TokenRequestSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="Which device this token is for."
    )


class ActivateSerializer(serializers.Serializer[Any]):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=100)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as its owner sees it later: never the token itself (only its digest is stored)."""

    prefix = serializers.CharField(source="token_key", read_only=True, help_text="The token's first characters.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "expiry", "last_used_at"]
        read_only_fields = fields


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; send as `Authorization: Token <token>`.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class RevokedSerializer(serializers.Serializer[Any]):
    revoked = serializers.IntegerField()


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "role"]
        read_only_fields = fields


class RegisteredSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
