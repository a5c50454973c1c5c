from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.emails import activation_token_generator
from accounts.forms import (
    ActivateForm,
    ApiTokenForm,
    GroupMemberFormSet,
    ProducerProfileForm,
    QGraderProfileForm,
    RoasterProfileForm,
    SignupForm,
    members_from_formset,
)
from accounts.models import ApiToken, QGraderProfile, Role, User
from accounts.selectors import api_tokens_for, qgrader_profiles_for_review, user_from_uidb64
from accounts.services import (
    profile_for,
    profile_upsert,
    qgrader_licence_verify,
    user_activate,
    user_activate_by_password_reset,
    user_signup,
)
from accounts.services_tokens import api_token_create, api_token_revoke, api_tokens_revoke_all
from core.decorators import role_required
from core.registry import panels_for


def _apply_errors(form: object, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None  # type: ignore[attr-defined]
            for message in errors:
                form.add_error(target, message)  # type: ignore[attr-defined]
    else:
        for message in exc.messages:
            form.add_error(None, message)  # type: ignore[attr-defined]


def signup(request: HttpRequest) -> HttpResponse:
    """Sign up. A valid form always ends on "check your e-mail", taken address or not."""
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = SignupForm(request.POST or None, initial={"role": request.GET.get("role", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_signup(
                email=data["email"],
                password=data["password"],
                role=data["role"],
                display_name=data.get("display_name", ""),
                profile=form.profile_data(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@sensitive_post_parameters("password")
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link in the confirmation e-mail: enter the password chosen at sign-up to switch the
    account on (``user_activate`` says why the password is needed), then you are signed in."""
    user = user_from_uidb64(uidb64)
    valid = user is not None and user.pending_activation and activation_token_generator.check_token(user, token)
    form = ActivateForm(request.POST or None)
    if valid and request.method == "POST" and form.is_valid():
        assert user is not None
        try:
            user_activate(user=user, token=token, password=form.cleaned_data["password"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            login(request, user, backend="accounts.backends.EmailBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("accounts:dashboard")
    status = 200 if valid and not form.errors else 400
    return render(request, "accounts/activate.html", {"form": form, "valid": valid}, status=status)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset page; a new password also confirms a sign-up still waiting for it (the
    link reached the address's owner). Revoking the API tokens happens in ``User.save``."""

    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user_activate_by_password_reset(user=form.user)
        return response


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "profile": profile_for(request.user),
        "panels": panels_for(request),
    }
    return render(request, "accounts/dashboard.html", context)


_PROFILE_FORMS: dict[str, type[forms.Form]] = {
    Role.PRODUCER: ProducerProfileForm,
    Role.ROASTER: RoasterProfileForm,
    Role.Q_GRADER: QGraderProfileForm,
}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form_class = _PROFILE_FORMS.get(user.role)
    if form_class is None:
        return render(request, "accounts/profile.html", {"form": None})
    current = profile_for(request.user)
    initial = {}
    if current is not None:
        initial = {name: getattr(current, name, None) for name in form_class.base_fields}
    members = None
    if user.role == Role.PRODUCER:
        rows = (
            [{"id": m.pk, "name": m.name, "farm_name": m.farm_name} for m in current.members.order_by("name", "pk")]
            if current is not None
            else []
        )
        # A post without the members' rows (no management form) leaves the members as they are.
        posted = request.method == "POST" and "members-TOTAL_FORMS" in request.POST
        members = GroupMemberFormSet(request.POST if posted else None, initial=rows, prefix="members")
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and (members is None or not members.is_bound or members.is_valid()):
        data = dict(form.cleaned_data)
        if members is not None and members.is_bound:
            data["members"] = members_from_formset(members) if data.get("is_group") else []
        try:
            profile_upsert(user=user, data=data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    failed = bool(form.errors) or (members is not None and members.is_bound and not members.is_valid())
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile": current, "members": members},
        status=400 if failed else 200,
    )


@role_required(Role.MODERATOR)
def licences(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/licences.html", {"profiles": qgrader_profiles_for_review()})


@require_POST
@role_required(Role.MODERATOR)
def licence_verify(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(QGraderProfile, pk=pk)
    verified = request.POST.get("verified", "1") == "1"
    qgrader_licence_verify(profile=profile, by=request.user, verified=verified)  # type: ignore[arg-type]
    messages.success(request, _("Licence status updated."))
    return redirect("accounts:licences")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """Your API tokens: when each was made, expires and was last used; make one, revoke any."""
    user = cast(User, request.user)
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            token, plain = api_token_create(user=user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            # Shown on this one response only: the database keeps just a digest.
            issued = {"token": token, "plain": plain}
            form = ApiTokenForm()
    context = {"tokens": api_tokens_for(user), "form": form, "issued": issued}
    response = render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    token = get_object_or_404(ApiToken.objects.filter(user=user), pk=pk)
    api_token_revoke(token=token, by=user)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:tokens")


@require_POST
@login_required
def tokens_revoke_all(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    count = api_tokens_revoke_all(user=user, by=user)
    messages.success(
        request, ngettext("%(count)d token was revoked.", "%(count)d tokens were revoked.", count) % {"count": count}
    )
    return redirect("accounts:tokens")
