from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import Department, Role
from clientvault.core.forms import StyledForm


class LoginForm(StyledForm):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Password"), max_length=256, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(StyledForm):
    token = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=10,
        error_messages={"invalid": _("Enter the six digits shown in your authenticator app.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(
        label=_("Repeat the new password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class LanguageForm(StyledForm):
    language = forms.ChoiceField(label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")])


class ApiTokenForm(StyledForm):
    """A personal API token: its name, its life (capped for roles that require a second factor) and the purposes
    it may act for — a choice among those the user's policies grant (ARCHITECTURE.md rule 3)."""

    name = forms.CharField(label=_("Token name"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)
    purposes = forms.MultipleChoiceField(
        label=_("Purposes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Without a purpose the token reaches no customer data."),
    )

    def __init__(self, *args: Any, purposes: list[tuple[str, str]] | None = None, max_days: int = 366, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days, chosen = self.fields["days"], self.fields["purposes"]
        assert isinstance(days, forms.IntegerField) and isinstance(chosen, forms.MultipleChoiceField)
        chosen.choices = purposes or []
        days.max_value = max_days
        days.validators = [v for v in days.validators if not isinstance(v, MaxValueValidator)] + [MaxValueValidator(max_days)]
        days.widget.attrs["max"] = str(max_days)
        days.initial = min(90, max_days)


def _role_choices() -> list[tuple[str, str]]:
    from django.utils.translation import get_language

    return [(r.code, r.label(get_language())) for r in Role.objects.all()]


def _department_choices() -> list[tuple[str, str]]:
    return [(str(d.pk), ("— " * d.depth) + d.name) for d in Department.objects.all()]


class UserForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    department_id = forms.ChoiceField(label=_("Department"))
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(label=_("Initial password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field, roles_field = self.fields["department_id"], self.fields["roles"]
        assert isinstance(department_field, forms.ChoiceField) and isinstance(roles_field, forms.MultipleChoiceField)
        department_field.choices = _department_choices()
        roles_field.choices = _role_choices()
        if editing:
            del self.fields["password"]
            self.fields["username"].disabled = True
