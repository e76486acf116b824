"""Forms of the risk desk: the file list's filters and a forced hold (reason code + note)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.core.forms import StyledForm
from clientvault.risk.holds import MANUAL, NOTE_LENGTH

# Why a person places a forced hold (the reason code the hold and its audit event carry; the note says the rest).
FORCED_HOLD_REASONS = [
    (MANUAL, _("Risk officer's decision")),
    ("fraud_suspected", _("Suspected fraud")),
    ("legal_action", _("Litigation or enforcement against the customer")),
    ("customer_request", _("At the customer's request")),
    ("documents_missing", _("Documents missing or expired")),
]
FORCED_HOLD_CODES = frozenset(code for code, _label in FORCED_HOLD_REASONS)


class ForcedHoldForm(StyledForm):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=FORCED_HOLD_REASONS)
    note = forms.CharField(label=_("Note"), max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


TIER_FILTER_CHOICES = [
    ("", _("All tiers")),
    ("high", _("High risk")),
    ("medium", _("Medium risk")),
    ("low", _("Low risk")),
    ("none", _("Not scored yet")),
]


class FileFilterForm(StyledForm):
    tier = forms.ChoiceField(label=_("Risk tier"), choices=TIER_FILTER_CHOICES, required=False)
    held = forms.BooleanField(label=_("Hold in force"), required=False)
    review_due = forms.BooleanField(label=_("Review due"), required=False)
