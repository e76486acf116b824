from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientvault.core.forms import StyledForm


class IdentifierForm(StyledForm):
    identifier = forms.CharField(
        label=_("ID number or mobile number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "text", "autofocus": True}),
    )


class CodeForm(StyledForm):
    code = forms.CharField(
        # The one-time sign-in code (验证码), not a catalogue code (编码).
        label=pgettext_lazy("one-time sign-in code", "Code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class GiveConsentForm(StyledForm):
    # PIPL-14 / GDPR-7: an empty box the customer ticks themselves, for this one purpose.
    agree = forms.BooleanField(
        label=_("I have read this notice and I agree"),
        required=True,
        error_messages={"required": _("Tick the box if you want to give this consent; otherwise choose Not now.")},
    )
