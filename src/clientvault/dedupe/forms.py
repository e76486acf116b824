from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.core.forms import StyledForm
from clientvault.dedupe.choices import DismissReason


class DismissForm(StyledForm):
    reason = forms.ChoiceField(label=_("Why are these records not duplicates?"), choices=DismissReason.choices)
