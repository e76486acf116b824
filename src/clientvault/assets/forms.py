"""Forms of the Assets tab: open an asset, post a movement, close it; the FX rates page.

Every form that writes to the ledger carries an idempotency key made when the form is rendered (a hidden
uuid): a double submit, or a reload that re-posts, is applied once (the ledger returns the first journal).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.assets.models import Kind
from clientvault.assets.money import CURRENCIES
from clientvault.core.forms import StyledForm

CURRENCY_CHOICES = [(c, c) for c in CURRENCIES]
# What a maker may post from the asset page (open and close have their own forms; change of terms is API-only).
MOVEMENT_CHOICES = [
    ("deposit", _("Deposit")),
    ("withdraw", _("Withdrawal")),
    ("transfer", _("Transfer")),
    ("pledge", _("Pledge")),
    ("release", _("Release")),
]
# A customer's asset kinds; the institution's clearing accounts are opened by the ledger itself.
ASSET_KIND_CHOICES = [(k.value, k.label) for k in Kind if k != Kind.CLEARING]


class LedgerForm(StyledForm):
    """A write to the ledger: why (kept with the entry) and the key that makes a resubmission harmless."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        self.style_fields()

    def clean_idempotency_key(self) -> str:
        value: str = self.cleaned_data["idempotency_key"].strip()
        if not value or any(not (ch.isalnum() or ch in "-_.:") for ch in value):
            raise forms.ValidationError(_("The form expired. Reload the page and submit again."))
        return value


class OpenAssetForm(LedgerForm):
    kind = forms.ChoiceField(label=_("Type"), choices=ASSET_KIND_CHOICES)
    identifier = forms.CharField(label=_("Account or policy number"), max_length=64)
    product = forms.CharField(label=_("Product"), max_length=200, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    field_order = ["kind", "identifier", "product", "currency", "reason", "idempotency_key"]


class MovementForm(LedgerForm):
    kind = forms.ChoiceField(label=_("Movement"), choices=MOVEMENT_CHOICES)
    amount = forms.CharField(
        label=_("Amount"), max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    counter_asset = forms.UUIDField(
        label=_("To asset (transfer only)"), required=False, help_text=_("The receiving asset's id, shown on its page.")
    )
    field_order = ["kind", "amount", "counter_asset", "reason", "currency", "idempotency_key"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "transfer" and not data.get("counter_asset"):
            self.add_error("counter_asset", _("Name the asset that receives the transfer."))
        return data


class CloseAssetForm(LedgerForm):
    pass


class FxRateForm(StyledForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    rate = forms.DecimalField(label=_("Rate (units of the base currency per unit)"), max_digits=20, decimal_places=10, min_value=0)
    as_of = forms.DateField(label=_("Rate date"), widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
