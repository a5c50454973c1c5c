from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import SELF_SERVICE_ROLES, QGraderProfile, Role


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class SignupForm(forms.Form):
    """One form for every self-service role; the role decides which profile fields are required."""

    role = forms.ChoiceField(
        label=_("I am a"),
        choices=[(r.value, r.label) for r in SELF_SERVICE_ROLES],
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    # Producer
    organisation = forms.CharField(label=_("Farm or organisation"), max_length=200, required=False)
    is_group = forms.BooleanField(label=_("We are a named group of producers"), required=False)
    members = forms.CharField(
        label=_("Group members (one name per line)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    region = forms.CharField(label=_("Region"), max_length=200, required=False)
    # Producer and roaster
    country = forms.CharField(label=_("Country (two-letter code)"), max_length=2, min_length=2, required=False)
    # Roaster
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    competition_alerts = forms.BooleanField(label=_("Alert me to nano-lots for competition buyers"), required=False)
    # Q-grader
    licence_number = forms.CharField(label=_("Q licence number"), max_length=60, required=False)
    licence_type = forms.ChoiceField(
        label=_("Licence type"), choices=QGraderProfile.LicenceType.choices, required=False
    )
    licence_expires_on = forms.DateField(
        label=_("Licence expiry"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lab = forms.CharField(label=_("Lab or company"), max_length=200, required=False)

    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").upper()
        if value and not value.isalpha():
            raise forms.ValidationError(_("Use the two-letter country code, e.g. CO or ET."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        role = data.get("role")
        required: dict[str, tuple[str, ...]] = {
            Role.PRODUCER: ("organisation", "country"),
            Role.ROASTER: ("company", "country"),
            Role.Q_GRADER: ("licence_number", "licence_expires_on"),
        }
        for name in required.get(role or "", ()):
            if not data.get(name):
                self.add_error(name, _("This field is required for your role."))
        return data

    def profile_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["members"] = (
            [m for m in (data.get("members") or "").splitlines() if m.strip()] if data.get("is_group") else []
        )
        return data


class ProducerProfileForm(forms.Form):
    organisation = forms.CharField(label=_("Farm or organisation"), max_length=200)
    country = forms.CharField(label=_("Country (two-letter code)"), max_length=2, min_length=2)
    region = forms.CharField(label=_("Region"), max_length=200, required=False)
    is_group = forms.BooleanField(label=_("We are a named group of producers"), required=False)


class GroupMemberForm(forms.Form):
    """One named member of the group; ``id`` keeps the member (and the lots naming them) across edits."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, widget=forms.TextInput(attrs={"aria-label": _("Name")})
    )
    farm_name = forms.CharField(
        label=_("Farm"), max_length=200, required=False, widget=forms.TextInput(attrs={"aria-label": _("Farm")})
    )


GroupMemberFormSet = forms.formset_factory(GroupMemberForm, extra=2, can_delete=True, max_num=200)


def members_from_formset(formset: Any) -> list[dict[str, Any]]:
    """The service's member items: rows marked for removal, or left empty, are left out."""
    items = []
    for row in formset.cleaned_data:
        if not row or row.get("DELETE") or not (row.get("name") or "").strip():
            continue
        items.append({"id": row.get("id"), "name": row["name"], "farm_name": row.get("farm_name") or ""})
    return items


class RoasterProfileForm(forms.Form):
    company = forms.CharField(label=_("Company"), max_length=200)
    country = forms.CharField(label=_("Country (two-letter code)"), max_length=2, min_length=2)
    competition_alerts = forms.BooleanField(label=_("Alert me to nano-lots for competition buyers"), required=False)


class QGraderProfileForm(forms.Form):
    licence_number = forms.CharField(label=_("Q licence number"), max_length=60)
    licence_type = forms.ChoiceField(label=_("Licence type"), choices=QGraderProfile.LicenceType.choices)
    licence_expires_on = forms.DateField(label=_("Licence expiry"), widget=forms.DateInput(attrs={"type": "date"}))
    lab = forms.CharField(label=_("Lab or company"), max_length=200, required=False)


class ActivateForm(forms.Form):
    password = forms.CharField(
        label=_("The password you chose when you signed up"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Device or script"),
        max_length=100,
        required=False,
        help_text=_("A name to recognise the token by, e.g. “roastery laptop”."),
    )
