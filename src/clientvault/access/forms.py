from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.apps import apps

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.access.purposes import LegalBasis
from clientvault.core.forms import StyledForm


class PurposeForm(StyledForm):
    name_zh = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100)
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices)
    needs_consent = forms.BooleanField(label=_("Needs the customer's consent"), required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    active = forms.BooleanField(label=_("Active"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)


def _masking_field(label: _StrPromise) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", _("— (in clear or not shown)")), ("masked", _("Masked")), ("withheld", _("Withheld"))],
    )


class PolicyForm(StyledForm):
    """A policy rule; role and resource are chosen when it is created and shown here for reference."""

    actions = forms.MultipleChoiceField(label=_("Actions"), widget=forms.CheckboxSelectMultiple, choices=[])
    purposes = forms.MultipleChoiceField(label=_("Purposes"), widget=forms.CheckboxSelectMultiple, choices=[])
    scope = forms.TypedChoiceField(label=_("Row scope"), coerce=int, choices=[])
    max_clear_class = forms.ChoiceField(label=_("Highest class shown in clear"), required=False, choices=[])
    mask_c1 = _masking_field(_("C1 above the clear class"))
    mask_c2 = _masking_field(_("C2 above the clear class"))
    mask_c3 = _masking_field(_("C3 above the clear class"))
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    active = forms.BooleanField(label=_("Active"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)

    def __init__(self, *args: object, **kwargs: object) -> None:
        from clientvault.access.labels import ACTION_LABELS, SCOPE_LABELS
        from clientvault.access.models import Purpose

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["actions"].choices = list(ACTION_LABELS.items())  # type: ignore[attr-defined]
        language = get_language()
        self.fields["purposes"].choices = [(p.code, p.name(language)) for p in Purpose.objects.all()]  # type: ignore[attr-defined]
        self.fields["scope"].choices = [(int(k), v) for k, v in SCOPE_LABELS.items() if int(k) > 0]  # type: ignore[attr-defined]
        self.fields["max_clear_class"].choices = [("", _("Nothing in clear")), ("C1", "C1"), ("C2", "C2"), ("C3", "C3")]  # type: ignore[attr-defined]
        self.style_fields()

    @staticmethod
    def initial_from(snapshot: dict[str, object]) -> dict[str, object]:
        masking = dict(snapshot.get("masking") or {})  # type: ignore[call-overload]
        out = {k: v for k, v in snapshot.items() if k != "masking"}
        out.update({f"mask_{c.lower()}": masking.get(c, "") for c in ("C1", "C2", "C3")})
        return out

    @staticmethod
    def to_policy(data: dict[str, object]) -> dict[str, object]:
        masking = {c: data.pop(f"mask_{c.lower()}") for c in ("C1", "C2", "C3")}
        data["masking"] = {c: v for c, v in masking.items() if v}
        return data


class NewPolicyForm(PolicyForm):
    """A new rule: its code, role and resource are fixed once created."""

    code = forms.SlugField(label=_("Code"), max_length=60, help_text=_("Lower-case letters, digits and hyphens; cannot change later."))
    role = forms.ChoiceField(label=_("Role"), choices=[])
    resource = forms.ChoiceField(label=_("Resource"), choices=[])
    field_order = ["code", "role", "resource"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        from clientvault.access.labels import RESOURCE_LABELS

        Role = apps.get_model("accounts", "Role")  # accounts sits above access (issue #12)

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.code, f"{r.name_zh} / {r.name_en}") for r in Role.objects.all()]  # type: ignore[attr-defined]
        self.fields["resource"].choices = list(RESOURCE_LABELS.items())  # type: ignore[attr-defined]
        self.order_fields(self.field_order)
        self.style_fields()


class PurposeChoiceForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=[], widget=forms.RadioSelect)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, purposes: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["purpose"].choices = purposes  # type: ignore[attr-defined]


class BreakGlassForm(StyledForm):
    reason = forms.CharField(label=_("Why do you need emergency access?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.IntegerField(label=_("For how many minutes"), min_value=1, initial=30)
