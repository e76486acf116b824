"""The risk officer's forms for limits, payment terms, hold releases and review completion (issue #16).

They parse what a person typed (an amount in yuan, dates, days); the services validate the rest and their
``ValidationFailed`` messages land on the same fields (``core.forms.apply_errors``), in the user's language.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.core.forms import StyledForm
from clientvault.risk.models import LimitKind, ReviewOutcome, Tier

DATE = forms.DateInput(attrs={"type": "date"})


def to_minor(amount: Decimal, exponent: int) -> int:
    """Major units (yuan) to minor units (fen), refusing fractions of a fen."""
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError
    return int(scaled)


class LimitForm(StyledForm):
    kind = forms.ChoiceField(label=_("type"), choices=LimitKind.choices, initial=LimitKind.PERMANENT)
    amount = forms.CharField(
        label=_("Credit limit"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("In the credit file's currency, e.g. 500000.00"),
    )
    valid_from = forms.DateField(label=_("valid from"), required=False, widget=DATE)
    valid_until = forms.DateField(label=_("valid until"), required=False, widget=DATE, help_text=_("Required for a temporary limit."))
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_amount(self) -> Decimal:
        text = str(self.cleaned_data.get("amount", "")).replace(",", "").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount of zero or more.")) from None
        if not value.is_finite() or value < 0:
            raise forms.ValidationError(_("Enter an amount of zero or more."))
        return value


class TermsForm(StyledForm):
    days = forms.IntegerField(label=_("payment terms (days)"), min_value=0, max_value=3650)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReleaseForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(StyledForm):
    outcome = forms.ChoiceField(label=_("outcome"), choices=ReviewOutcome.choices)
    tier = forms.ChoiceField(
        label=_("tier after review"),
        choices=[("", _("Unchanged")), *Tier.choices],
        required=False,
        help_text=_("Required when the decision changed."),
    )
    note = forms.CharField(label=_("Review note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()
