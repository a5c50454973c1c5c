"""API plumbing shared by every app: one error shape, pagination, permissions, idempotency."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import Conflict
from core.models import IdempotencyRecord


def _one_positive_int(raw: list[str]) -> bool:
    # isascii: "๗".isdigit() is True and int("๗") == 7; ids and pages are ASCII digits only.
    return len(raw) == 1 and raw[0].isascii() and raw[0].isdigit() and int(raw[0]) >= 1


class Pagination(PageNumberPagination):
    """Page-number pagination (25 a page, at most 100) that refuses malformed parameters.

    DRF silently falls back to defaults for a bad ``page_size``; a client that sent one would
    get a page it did not ask for, so it is a 400 here, like a bad ``page``.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        raw = request.query_params.getlist(self.page_query_param)
        if raw and not (_one_positive_int(raw) or (len(raw) == 1 and raw[0] in self.last_page_strings)):
            raise exceptions.ValidationError({self.page_query_param: [_("Must be one page number from 1.")]})
        return super().get_page_number(request, paginator)

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.getlist(self.page_size_query_param)
        if raw and not _one_positive_int(raw):
            raise exceptions.ValidationError({self.page_size_query_param: [_("Must be one positive whole number.")]})
        return super().get_page_size(request)


def _validation_extra(error: DjangoValidationError) -> dict[str, Any]:
    if hasattr(error, "error_dict"):
        return {"fields": {k: [str(m) for e in v for m in e.messages] for k, v in error.error_dict.items()}}
    return {"fields": {"non_field_errors": [str(m) for m in error.messages]}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error as ``{"message": ..., "extra": {...}}``.

    Services raise Django's ValidationError / PermissionDenied or the domain ``Conflict``; they are
    mapped here so views need no try/except of their own.
    """
    if isinstance(exc, DjangoValidationError):
        extra = _validation_extra(exc)
        return Response({"message": "Validation error", "extra": extra}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response({"message": str(exc), "extra": exc.extra}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = response.data
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = {"message": "Validation error", "extra": {"fields": fields}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"message": str(detail), "extra": {}}
    return response


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular lists success codes only; document the error codes every view can return."""
    err = {
        "description": "Error",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"message": {"type": "string"}, "extra": {"type": "object"}},
                }
            }
        },
    }
    for item in result.get("paths", {}).values():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            extra = ["400", "409"] if method in {"post", "put", "patch", "delete"} else ["400"]
            for code in ["401", "403", "404", "405", "429", *extra]:
                op["responses"].setdefault(code, err)
    return result


def has_role(user: Any, *roles: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "role", None) in roles)


class RolePermission(BasePermission):
    """Writes need one of ``write_roles``; reads are open unless ``read_roles`` is set."""

    write_roles: tuple[str, ...] = ()
    read_roles: tuple[str, ...] | None = None

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return self.read_roles is None or has_role(request.user, *self.read_roles)
        return has_role(request.user, *self.write_roles)


def role_permission(*, write: tuple[str, ...], read: tuple[str, ...] | None = None) -> type[BasePermission]:
    return type("RolePermission", (RolePermission,), {"write_roles": write, "read_roles": read})


def idempotent(scope: str, *, atomic: bool = True) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Replay the first response for a repeated ``Idempotency-Key`` on this scope and user.

    The record is claimed by a unique constraint before the work runs. A repeated key with a
    different body is refused with 409, and so is a repeat while the first is still running.

    ``atomic=True``: the work and the stored response commit together, so a crash leaves no
    record and the client may retry safely.

    ``atomic=False``, for views that call an outside service (Stripe) which must never be
    called inside a database transaction: the claim commits first, the view runs in its own
    short transactions, and the response is stored afterwards. An error releases the claim; a
    process that dies mid-way leaves the key claimed, so a retry with it gets 409 (never a
    second run of the work), and the client checks the state and uses a new key.
    """

    def decorator(func: Callable[..., Response]) -> Callable[..., Response]:
        def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get("Idempotency-Key", "").strip()
            if not key or not request.user.is_authenticated:
                return func(self, request, *args, **kwargs)
            if len(key) > 200:
                raise exceptions.ValidationError({"Idempotency-Key": ["At most 200 characters."]})
            body = json.dumps(request.data, sort_keys=True, default=str).encode()
            digest = hashlib.sha256(body + repr(sorted(kwargs.items())).encode()).hexdigest()
            existing = IdempotencyRecord.objects.filter(user=request.user, scope=scope, key=key).first()
            if existing is not None:
                return _replay(existing, digest)
            if not atomic:
                return _run_outside_transaction(func, self, request, args, kwargs, scope=scope, key=key, digest=digest)
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=request.user, scope=scope, key=key, request_hash=digest
                    )
                    response = func(self, request, *args, **kwargs)
                    if response.status_code >= 400:
                        # Errors are not remembered: roll the claim back with the work.
                        transaction.set_rollback(True)
                        return response
                    record.status_code = response.status_code
                    record.body = json.loads(json.dumps(response.data, default=str))
                    record.save(update_fields=["status_code", "body"])
                    return response
            except IntegrityError:
                existing = IdempotencyRecord.objects.filter(user=request.user, scope=scope, key=key).first()
                if existing is None:
                    raise
                return _replay(existing, digest)

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        wrapper.__dict__.update(func.__dict__)
        return wrapper

    return decorator


def _run_outside_transaction(
    func: Callable[..., Response],
    view: Any,
    request: Request,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    scope: str,
    key: str,
    digest: str,
) -> Response:
    """Claim (committed), run the view with no transaction open, then store its response."""
    user: Any = request.user  # authenticated: the caller checked
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=user, scope=scope, key=key, request_hash=digest)
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    try:
        response = func(view, request, *args, **kwargs)
    except BaseException:
        # The work refused or failed: forget the claim so the client may retry with this key.
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()
        raise
    if response.status_code >= 400:
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()
        return response
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, body=json.loads(json.dumps(response.data, default=str))
    )
    return response


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        raise Conflict("This Idempotency-Key was used with a different request.")
    if record.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


class Router(SimpleRouter):
    """A router whose default lookup is ASCII digits: ``/lots/๗/`` must be a 404, not lot 7.

    (Django's int() accepts any Unicode digit, and DRF's default lookup regex lets them through.)
    A viewset with another key sets ``lookup_value_regex`` as usual.
    """

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)
