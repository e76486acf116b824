"""Forms of data-subject requests (staff intake, decisions, the portal's "make a request")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.core.forms import StyledForm
from clientvault.rights.choices import LINKED_KINDS, STAFF_CHANNELS, Jurisdiction, RefusalCode, RequestKind, VerificationMethod

# What a customer may ask to correct from the portal or at the counter (PIPL-46); the customer services validate.
CORRECTABLE = ("name", "mobile", "email", "address", "occupation", "residency")
STAFF_METHODS = [("", _("Not yet verified (the clock pauses)"))] + [
    (v, label) for v, label in VerificationMethod.choices if v != VerificationMethod.PORTAL_CODE
]


def _field_choices() -> list[tuple[str, Any]]:
    """The correctable fields, labelled from the field catalogue in the reader's language."""
    from clientvault.classification.models import FieldClassification

    language = get_language()
    rows = FieldClassification.objects.filter(key__in=[f"customer.{f}" for f in CORRECTABLE])
    labels = {row.key: row.label(language) for row in rows}
    return [("", "—")] + [(f, labels.get(f"customer.{f}", f)) for f in CORRECTABLE]


def _purpose_choices() -> list[tuple[str, Any]]:
    """The purposes a customer consents to (PIPL-15: each can be withdrawn), by name in the reader's language."""
    from clientvault.consents.selectors import consent_purposes

    language = get_language()
    return [("", "—")] + [(p.code, p.name(language)) for p in consent_purposes()]


class RequestDetailsForm(StyledForm):
    """What every request form asks: the kind and the customer's own words; a correction's field and value; a
    withdrawal's purpose."""

    # A linked kind (the review of an automated decision) is asked for from the decision's own page.
    kind = forms.ChoiceField(label=_("What is asked"), choices=[(v, label) for v, label in RequestKind.choices if v not in LINKED_KINDS])
    text = forms.CharField(label=_("In the customer's words"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    field = forms.ChoiceField(label=_("Field to correct"), required=False, choices=())
    value = forms.CharField(label=_("Corrected value"), required=False, max_length=300)
    purpose = forms.ChoiceField(label=_("Consent to withdraw"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = _field_choices()  # type: ignore[attr-defined]
        self.fields["purpose"].choices = _purpose_choices()  # type: ignore[attr-defined]
        self.style_fields()

    def changes(self) -> dict[str, str]:
        field = self.cleaned_data.get("field") or ""
        return {field: self.cleaned_data.get("value") or ""} if field else {}


class StaffRequestForm(RequestDetailsForm):
    customer = forms.UUIDField(label=_("Customer ID"))
    channel = forms.ChoiceField(label=_("Received"), choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    jurisdiction = forms.ChoiceField(label=_("Jurisdiction"), choices=Jurisdiction.choices, initial=Jurisdiction.CN)
    verification_method = forms.ChoiceField(label=_("Identity verified by"), choices=STAFF_METHODS, required=False)

    field_order = ["customer", "kind", "channel", "jurisdiction", "verification_method", "text", "field", "value", "purpose"]


class VerifyForm(StyledForm):
    method = forms.ChoiceField(label=_("Identity verified by"), choices=STAFF_METHODS[1:])


class ExtendForm(StyledForm):
    reason = forms.CharField(label=_("Reasons told to the customer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(StyledForm):
    code = forms.ChoiceField(label=_("Reason"), choices=RefusalCode.choices)
    text = forms.CharField(label=_("Explanation for the customer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
