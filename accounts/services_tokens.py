"""Writes for API tokens: issue one per device, revoke one, revoke all.

Tokens are django-rest-knox tokens (``accounts.models.ApiToken``): the database holds only a
digest, so a token is shown once, when it is issued. They expire after ``API_TOKEN_TTL_HOURS``,
and every password change or reset revokes them all (``User.save``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.settings import knox_settings

from accounts.models import ApiToken, User
from core.services import audit_log


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue a new token for ``user`` (after they proved who they are); returns (row, token).

    The plain token exists only in the return value: show it once and forget it.
    """
    if not user.is_active:
        raise PermissionDenied(_("This account is not active."))
    # Lock the user row, so two logins at once cannot both slip under the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    ApiToken.objects.filter(user=user, expiry__lte=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    live = ApiToken.objects.filter(user=user).filter(Q(expiry__gt=now) | Q(expiry__isnull=True)).count()
    if limit is not None and live >= limit:
        raise ValidationError(
            _("You already have %(count)d API tokens, the most allowed. Revoke one you no longer use.")
            % {"count": live}
        )
    token, plain = ApiToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL, name=name.strip()[:100])
    audit_log(actor=user, action="api_token.created", target=user, data={"token": token.pk, "name": token.name})
    return token, plain


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> None:
    """Revoke one of ``by``'s own tokens (nobody revokes another user's token)."""
    if token.user_id != by.pk:
        raise PermissionDenied(_("This is not your token."))
    deleted, _rows = ApiToken.objects.filter(pk=token.pk, user=by).delete()
    if deleted:
        audit_log(actor=by, action="api_token.revoked", target=by, data={"token": token.pk, "name": token.name})


@transaction.atomic
def api_tokens_revoke_all(*, user: User, by: User | None, reason: str = "revoked_by_user") -> int:
    """Revoke every token of ``user``; returns how many there were.

    ``by`` is the user themselves (the "revoke all" button) or None when a password change did it.
    """
    if by is not None and by.pk != user.pk:
        raise PermissionDenied(_("You can revoke only your own tokens."))
    deleted, _rows = ApiToken.objects.filter(user=user).delete()
    if deleted:
        audit_log(actor=by, action="api_token.revoked_all", target=user, data={"count": deleted, "reason": reason})
    return deleted
