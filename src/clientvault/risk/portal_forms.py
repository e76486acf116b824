"""The portal's form to ask for a person to review an automated credit decision (PIPL-24)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.core.forms import StyledForm
from clientvault.risk.human_review import VIEW_LENGTH


class AskReviewForm(StyledForm):
    view = forms.CharField(
        label=_("Your view (optional)"),
        required=False,
        max_length=VIEW_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tell us anything the scorecard could not know, or why you think the decision is wrong."),
    )
