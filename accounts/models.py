"""Users log in with their e-mail address and have exactly one role, each with its own profile."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS as KNOX


class Role(models.TextChoices):
    PRODUCER = "producer", _("Producer")
    ROASTER = "roaster", _("Roaster")
    Q_GRADER = "q_grader", _("Q-grader")
    MODERATOR = "moderator", _("Moderator")


SELF_SERVICE_ROLES = (Role.PRODUCER, Role.ROASTER, Role.Q_GRADER)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.MODERATOR)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]  # knox's abstract FK
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    # Signed up but has not yet confirmed the e-mail address (inactive until then). Distinct from
    # an account staff deactivated, which confirming or a password reset must never re-open.
    pending_activation = models.BooleanField(default=False)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["role"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid")
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_producer(self) -> bool:
        return self.role == Role.PRODUCER

    @property
    def is_roaster(self) -> bool:
        return self.role == Role.ROASTER

    @property
    def is_q_grader(self) -> bool:
        return self.role == Role.Q_GRADER

    @property
    def is_moderator(self) -> bool:
        return self.role == Role.MODERATOR

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    # Every way of changing a password (the change and reset pages, the admin, ``changepassword``)
    # ends in set_password() + save(); revoking the API tokens here means none of them can forget.
    # set_password() leaves the raw password in ``_password`` until save() (a hash upgrade at
    # login clears it first: that is not a change, and must not log the user's devices out).
    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._revoke_api_tokens = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        changed = getattr(self, "_password", None) is not None or getattr(self, "_revoke_api_tokens", False)
        revoke = changed and not self._state.adding
        super().save(*args, **kwargs)
        self._revoke_api_tokens = False
        if revoke:
            from accounts.services_tokens import api_tokens_revoke_all

            api_tokens_revoke_all(user=self, by=None, reason="password_changed")


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only a SHA-512 digest is stored, one row per device.

    ``KNOX_TOKEN_MODEL`` points here so that a token has a plain id to revoke it by (knox's own
    key is the digest), a device name and when it was last used, for the user's token page.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=KNOX.DIGEST_LENGTH, unique=True)
    name = models.CharField(_("device"), max_length=100, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.token_key}… ({self.user_id})"


class ProducerProfile(models.Model):
    """A farm business, or a named group of producers selling together."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="producer_profile")
    organisation = models.CharField(_("organisation"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2 code"))
    region = models.CharField(_("region"), max_length=200, blank=True)
    is_group = models.BooleanField(_("a named group of producers"), default=False)

    class Meta:
        verbose_name = _("producer profile")
        verbose_name_plural = _("producer profiles")

    def __str__(self) -> str:
        return self.organisation


class GroupMember(models.Model):
    """A named member of a producer group (every member must be named for provenance)."""

    profile = models.ForeignKey(ProducerProfile, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=200)
    farm_name = models.CharField(_("farm"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["profile", "name"], name="group_member_unique_name")]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")

    def __str__(self) -> str:
        return self.name


class RoasterProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="roaster_profile")
    company = models.CharField(_("company"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2 code"))
    competition_alerts = models.BooleanField(_("alert me to nano-lots for competition buyers"), default=False)

    class Meta:
        verbose_name = _("roaster profile")
        verbose_name_plural = _("roaster profiles")

    def __str__(self) -> str:
        return self.company


class QGraderProfile(models.Model):
    class LicenceType(models.TextChoices):
        LEGACY = "legacy", _("Legacy (SCA 2004 form)")
        EVOLVED = "evolved", _("Evolved (CVA)")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="q_grader_profile")
    licence_number = models.CharField(_("licence number"), max_length=60)
    licence_type = models.CharField(
        _("licence type"), max_length=10, choices=LicenceType.choices, default=LicenceType.EVOLVED
    )
    licence_expires_on = models.DateField(_("licence expiry"))
    lab = models.CharField(_("lab or company"), max_length=200, blank=True)
    licence_verified_at = models.DateTimeField(null=True, blank=True)
    licence_verified_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("Q-grader profile")
        verbose_name_plural = _("Q-grader profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.licence_number})"

    @property
    def licence_verified(self) -> bool:
        return self.licence_verified_at is not None

    def licence_valid_on(self, day: datetime.date) -> bool:
        """Verified by a moderator and not expired on ``day``."""
        return self.licence_verified and self.licence_expires_on >= day
