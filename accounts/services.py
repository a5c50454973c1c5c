"""Writes for accounts: registration, profiles, licence verification."""

from __future__ import annotations

import datetime
import uuid
from functools import partial
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import activation_email_send, activation_token_generator, signup_existing_email_send
from accounts.models import (
    SELF_SERVICE_ROLES,
    GroupMember,
    ProducerProfile,
    QGraderProfile,
    RoasterProfile,
    Role,
    User,
)
from core.services import audit_log
from core.signals import send_evidence_changed


def _check_new_user(*, email: str, password: str, role: str, display_name: str, allow_moderator: bool) -> None:
    """The checks every new account passes, whether or not the address is already taken."""
    if role not in {r.value for r in Role}:
        raise ValidationError({"role": _("Choose producer, roaster or Q-grader.")})
    if role == Role.MODERATOR and not allow_moderator:
        raise ValidationError({"role": _("Moderators are appointed by staff; choose another role.")})
    candidate = User(email=email, role=role, display_name=display_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    role: str,
    display_name: str = "",
    profile: dict[str, Any] | None = None,
    allow_moderator: bool = False,
) -> User:
    """Create an active user and the profile of their role (staff, ``create_user``, demo data).

    Moderators cannot sign themselves up: only staff (the admin or ``create_user``) make them.
    Self-service sign-up goes through ``user_signup``, which never says whether an address is taken.
    """
    email = (email or "").strip().lower()
    _check_new_user(
        email=email, password=password, role=role, display_name=display_name, allow_moderator=allow_moderator
    )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    user = User.objects.create_user(email=email, password=password, role=role, display_name=display_name)
    profile_upsert(user=user, data=profile or {})
    audit_log(actor=user, action="user.registered", target=user, data={"role": role})
    return user


@transaction.atomic
def user_signup(
    *,
    email: str,
    password: str,
    role: str,
    display_name: str = "",
    profile: dict[str, Any] | None = None,
) -> None:
    """Self-service sign-up that answers the same whether or not the address has an account.

    A new address gets an inactive account and an e-mail with a confirmation link; an address that
    already has an account gets nothing created and an e-mail telling its owner that someone tried
    to register (with a link to choose a password, which also confirms a still-pending account).
    Every input check runs in both cases, so bad input is refused alike and good input is
    accepted alike: the caller learns nothing but "check your e-mail". E-mails go after commit.
    """
    email = (email or "").strip().lower()
    _check_new_user(email=email, password=password, role=role, display_name=display_name, allow_moderator=False)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        _check_profile(role=role, display_name=display_name, profile=profile or {})
        audit_log(actor=None, action="user.signup_for_existing_email", target=existing, data={"role": role})
        transaction.on_commit(partial(signup_existing_email_send, user_id=existing.pk), robust=True)
        return
    try:
        with transaction.atomic():  # a savepoint: a sign-up racing this one for the same address
            user = User.objects.create_user(
                email=email,
                password=password,
                role=role,
                display_name=display_name,
                is_active=False,
                pending_activation=True,
            )
    except IntegrityError:
        raced = User.objects.filter(email__iexact=email).first()
        if raced is None:
            raise
        _check_profile(role=role, display_name=display_name, profile=profile or {})
        transaction.on_commit(partial(signup_existing_email_send, user_id=raced.pk), robust=True)
        return
    profile_upsert(user=user, data=profile or {})
    audit_log(actor=user, action="user.registered", target=user, data={"role": role, "pending": True})
    transaction.on_commit(partial(activation_email_send, user_id=user.pk), robust=True)


def _check_profile(*, role: str, display_name: str, profile: dict[str, Any]) -> None:
    """Run the profile checks of ``profile_upsert`` for a user that is never saved.

    The savepoint is always rolled back (nothing is left, no on-commit work survives it); only a
    ValidationError comes out, exactly as a new address would have had.
    """
    with transaction.atomic():
        probe = User.objects.create_user(
            email=f"probe-{uuid.uuid4().hex}@signup.invalid", role=role, display_name=display_name, is_active=False
        )
        profile_upsert(user=probe, data=profile)
        transaction.set_rollback(True)


def user_activate(*, user: User, token: str, password: str) -> User:
    """Confirm a signed-up address: the link's token *and* the password chosen at sign-up.

    Asking for the password means a confirmation link sent for an account someone else created
    with your address (to squat it) cannot be used to switch that account on: you do not know its
    password. The owner of the address can instead choose a new password (``password reset``),
    which also confirms it.
    """
    if not (user.pending_activation and activation_token_generator.check_token(user, token)):
        raise ValidationError({"token": _("This confirmation link is invalid or has expired.")})
    if not user.check_password(password):
        raise ValidationError({"password": _("That is not the password you chose when you signed up.")})
    return _activate(user=user, how="link")


@transaction.atomic
def _activate(*, user: User, how: str) -> User:
    changed = User.objects.filter(pk=user.pk, pending_activation=True).update(is_active=True, pending_activation=False)
    user.refresh_from_db(fields=["is_active", "pending_activation"])
    if changed:
        audit_log(actor=user, action="user.activated", target=user, data={"how": how})
    return user


def user_activate_by_password_reset(*, user: User) -> User:
    """A password chosen through an e-mailed link proves the address: a pending account is confirmed.

    An account staff deactivated is not pending, so a reset never re-opens it.
    """
    if user.pending_activation:
        return _activate(user=user, how="password_reset")
    return user


def _require(data: dict[str, Any], *names: str) -> None:
    missing = {n: _("This field is required.") for n in names if not str(data.get(n) or "").strip()}
    if missing:
        raise ValidationError(missing)


@transaction.atomic
def profile_upsert(*, user: User, data: dict[str, Any]) -> Any:
    """Create or update the profile for ``user``'s role from plain data."""
    if user.role == Role.PRODUCER:
        organisation = str(data.get("organisation") or user.display_name or user.email)
        country = str(data.get("country") or "").upper()[:2]
        profile, _created = ProducerProfile.objects.update_or_create(
            user=user,
            defaults={
                "organisation": organisation[:200],
                "country": country,
                "region": str(data.get("region") or "")[:200],
                "is_group": bool(data.get("is_group", False)),
            },
        )
        members = data.get("members")
        if members is not None:
            _members_sync(profile=profile, items=list(members), by=user)
        return profile
    if user.role == Role.ROASTER:
        roaster, _created = RoasterProfile.objects.update_or_create(
            user=user,
            defaults={
                "company": str(data.get("company") or user.display_name or user.email)[:200],
                "country": str(data.get("country") or "").upper()[:2],
                "competition_alerts": bool(data.get("competition_alerts", False)),
            },
        )
        return roaster
    if user.role == Role.Q_GRADER:
        _require(data, "licence_number", "licence_expires_on")
        expires = data["licence_expires_on"]
        if isinstance(expires, str):
            try:
                expires = datetime.date.fromisoformat(expires)
            except ValueError as exc:
                raise ValidationError({"licence_expires_on": _("Enter a date as YYYY-MM-DD.")}) from exc
        existing = QGraderProfile.objects.filter(user=user).first()
        number = str(data["licence_number"]).strip()[:60]
        changed = existing is not None and (existing.licence_number != number or existing.licence_expires_on != expires)
        grader, _created = QGraderProfile.objects.update_or_create(
            user=user,
            defaults={
                "licence_number": number,
                "licence_expires_on": expires,
                "licence_type": data.get("licence_type") or QGraderProfile.LicenceType.EVOLVED,
                "lab": str(data.get("lab") or "")[:200],
            },
        )
        if changed and grader.licence_verified_at is not None:
            # A changed licence must be checked again before sheets count as independent.
            grader.licence_verified_at = None
            grader.licence_verified_by = None
            grader.save(update_fields=["licence_verified_at", "licence_verified_by"])
        return grader
    return None


@transaction.atomic
def qgrader_licence_verify(*, profile: QGraderProfile, by: User, verified: bool = True) -> QGraderProfile:
    if not by.is_moderator:
        raise PermissionDenied(_("Only moderators verify Q-grader licences."))
    profile = QGraderProfile.objects.select_for_update().get(pk=profile.pk)
    if verified and profile.licence_verified_at is not None:
        return profile
    profile.licence_verified_at = timezone.now() if verified else None
    profile.licence_verified_by = by if verified else None
    profile.save(update_fields=["licence_verified_at", "licence_verified_by"])
    audit_log(
        actor=by,
        action="qgrader.licence_verified" if verified else "qgrader.licence_unverified",
        target=profile,
        data={"licence_number": profile.licence_number},
    )
    return profile


_PROFILE_ATTRS: dict[str, str] = {
    Role.PRODUCER: "producer_profile",
    Role.ROASTER: "roaster_profile",
    Role.Q_GRADER: "q_grader_profile",
}


def profile_for(user: Any) -> Any:
    """The profile of ``user``'s role, or None (moderators and anonymous users have none)."""
    attr = _PROFILE_ATTRS.get(str(getattr(user, "role", "")))
    return getattr(user, attr, None) if attr else None


__all__ = [
    "SELF_SERVICE_ROLES",
    "profile_for",
    "profile_upsert",
    "qgrader_licence_verify",
    "user_activate",
    "user_activate_by_password_reset",
    "user_register",
    "user_signup",
]


def _member_item(item: Any) -> tuple[int | None, str, str | None]:
    """(id, name, farm name or None to keep it) from a dict or a plain name."""
    if not isinstance(item, dict):
        return None, str(item).strip()[:200], None
    raw_id = item.get("id")
    if raw_id in (None, ""):
        member_id = None
    elif isinstance(raw_id, int) and not isinstance(raw_id, bool):
        member_id = raw_id
    elif isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit():
        member_id = int(raw_id)
    else:
        raise ValidationError({"members": _("Unknown group member.")})
    farm = item.get("farm_name")
    return member_id, str(item.get("name") or "").strip()[:200], None if farm is None else str(farm).strip()[:200]


def _members_sync(*, profile: ProducerProfile, items: list[Any], by: User) -> None:
    """Bring the group's named members in line with ``items``, keeping every member's identity.

    An item is ``{"id": ..., "name": ..., "farm_name": ...}`` (an existing member, updated in place),
    ``{"name": ...}`` or a plain name (a new member, or the existing member of exactly that name).
    Members left out are removed, unless a lot names them: lots point at members by id, so deleting
    and re-creating them (as this once did) emptied every lot's list of named producers while an
    approved claim kept its badge. Renaming a member that lots name is an origin evidence change.
    """
    wanted = [w for w in (_member_item(i) for i in items) if w[1]]
    folded = [name.casefold() for _id, name, _farm in wanted]
    if len(set(folded)) != len(folded):
        raise ValidationError({"members": _("Each group member must have a different name.")})
    ids = [member_id for member_id, _name, _farm in wanted if member_id is not None]
    if len(set(ids)) != len(ids):
        raise ValidationError({"members": _("Each group member can appear only once.")})

    from lots.models import Lot

    # Lock order lot -> member, as lots.services takes them when it names members on a lot: first
    # the lots that name a member of this group, then the members.
    # of=self: lock the lots only, not the joined member rows (those are locked next, in pk order).
    list(
        Lot.objects.select_for_update(of=("self",))
        .filter(group_members__profile=profile)
        .order_by("pk")
        .values_list("pk")
    )
    current = {m.pk: m for m in GroupMember.objects.select_for_update().filter(profile=profile).order_by("pk")}
    if any(member_id not in current for member_id in ids):
        raise ValidationError({"members": _("Unknown group member.")})
    by_name = {m.name.casefold(): m for m in current.values()}
    kept: set[int] = set(ids)
    plan: list[tuple[GroupMember | None, str, str | None]] = []
    for member_id, name, farm in wanted:
        member = current[member_id] if member_id is not None else None
        if member is None:
            same = by_name.get(name.casefold())
            if same is not None and same.pk not in kept:
                member = same
                kept.add(same.pk)
        plan.append((member, name, farm))
    through = Lot.group_members.through
    named_on: dict[int, list[tuple[int, str]]] = {}
    for member_id, lot_id, code in through.objects.filter(groupmember__profile=profile).values_list(
        "groupmember_id", "lot_id", "lot__code"
    ):
        named_on.setdefault(member_id, []).append((lot_id, code))
    removed = [m for pk, m in current.items() if pk not in kept]
    blocked = [m for m in removed if m.pk in named_on]
    if blocked:
        raise ValidationError(
            {
                "members": [
                    _("%(name)s is named on lot(s) %(lots)s: take them off those lots before removing them.")
                    % {"name": m.name, "lots": ", ".join(sorted(code for _lot, code in named_on[m.pk]))}
                    for m in blocked
                ]
            }
        )
    GroupMember.objects.filter(pk__in=[m.pk for m in removed]).delete()
    changing = [
        (m, name, farm)
        for m, name, farm in plan
        if m is not None and (m.name != name or (farm is not None and farm != m.farm_name))
    ]
    # Park the names first, so that swapping two names never trips the (profile, name) constraint.
    for member, _name, _farm in changing:
        GroupMember.objects.filter(pk=member.pk).update(name=f"\u2060{member.pk}")
    renamed: list[tuple[GroupMember, str]] = []
    for member, name, farm in changing:
        if member.name != name:
            renamed.append((member, member.name))
        member.name = name
        if farm is not None:
            member.farm_name = farm
        member.save(update_fields=["name", "farm_name"])
    added = GroupMember.objects.bulk_create(
        [GroupMember(profile=profile, name=name, farm_name=farm or "") for m, name, farm in plan if m is None]
    )
    if removed or renamed or added:
        audit_log(
            actor=by,
            action="profile.members_changed",
            target=profile,
            data={
                "added": [m.name for m in added],
                "removed": [m.name for m in removed],
                "renamed": [{"id": m.pk, "from": old, "to": m.name} for m, old in renamed],
            },
        )
    for member, old in renamed:
        for lot_id, _code in named_on.get(member.pk, []):
            send_evidence_changed(
                sender=GroupMember,
                lot_id=lot_id,
                kind="origin",
                detail=f"group member renamed: {old} → {member.name}"[:500],
                actor=by,
            )
