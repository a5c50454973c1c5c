from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from accounts.selectors import api_tokens_for, user_from_uidb64
from accounts.serializers import (
    ActivateSerializer,
    ApiTokenSerializer,
    IssuedTokenSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    RevokedSerializer,
    TokenRequestSerializer,
    UserSerializer,
)
from accounts.services import user_activate, user_signup
from accounts.services_tokens import api_token_create, api_token_revoke, api_tokens_revoke_all

SIGNUP_ANSWER = gettext_lazy("Check your e-mail: we sent a message to that address with the next step.")


def _issued(token: ApiToken, plain: str) -> dict[str, Any]:
    return {**ApiTokenSerializer(token).data, "token": plain}


class RegisterApi(APIView):
    """Sign up as producer, roaster or Q-grader (never moderator).

    The answer is the same whether or not the address already has an account: 202 and "check
    your e-mail". A new address gets a confirmation link (``POST /api/v1/auth/activate/`` with
    its ``uid`` and ``token``, or the page it opens); an existing one gets a note to its owner.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=RegisterSerializer, responses={202: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user_signup(
            email=data.pop("email"),
            password=data.pop("password"),
            role=data.pop("role"),
            display_name=data.pop("display_name", ""),
            profile=data,
        )
        return Response({"message": str(SIGNUP_ANSWER)}, status=status.HTTP_202_ACCEPTED)


class ActivateApi(APIView):
    """Confirm a sign-up with the e-mailed link's ``uid`` and ``token`` and the password; get a token."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=ActivateSerializer, responses={200: IssuedTokenSerializer})
    def post(self, request: Request) -> Response:
        serializer = ActivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_from_uidb64(data["uid"])
        if user is None:
            return Response(
                {
                    "message": "Validation error",
                    "extra": {"fields": {"token": [_("This confirmation link is invalid or has expired.")]}},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        user = user_activate(user=user, token=data["token"], password=data["password"])
        token, plain = api_token_create(user=user, name=data.get("name", ""))
        return Response(_issued(token, plain))


class TokenApi(APIView):
    """Log in: exchange e-mail and password for a new API token for this device.

    Send it as ``Authorization: Token <token>``. It expires (``expiry``), is revoked by a password
    change or reset, and can be revoked under ``/api/v1/auth/tokens/``. Only its digest is stored:
    the token is shown this once.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenRequestSerializer, responses={200: IssuedTokenSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise AuthenticationFailed("Wrong e-mail address or password.")
        token, plain = api_token_create(user=cast(User, user), name=serializer.validated_data.get("name", ""))
        return Response(_issued(token, plain))


class TokenListApi(generics.ListAPIView[ApiToken]):
    """Your API tokens that still work, newest first: created, expiry, last used (never the token)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return api_tokens_for(cast(User, self.request.user))


class TokenRevokeApi(APIView):
    """Revoke one of your tokens (another user's token is not found)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        token = get_object_or_404(ApiToken.objects.filter(user=user), pk=pk)
        api_token_revoke(token=token, by=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllApi(APIView):
    """Revoke every one of your tokens, including the one this request used."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RevokedSerializer})
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        return Response({"revoked": api_tokens_revoke_all(user=user, by=user)})


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(cast(User, request.user)).data)
