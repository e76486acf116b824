"""Forms of the calendar pages: enter a date, declare a year covered (or not)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.calendars.models import NOTICE_LENGTH, DayKind, DayName
from clientvault.core.forms import StyledForm

NOTICE_HELP = _("e.g. 国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕…)")


class DayForm(StyledForm):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.ChoiceField(label=_("Festival"), choices=DayName.choices, initial=DayName.OTHER)
    notice = forms.CharField(label=_("Notice cited"), max_length=NOTICE_LENGTH, help_text=NOTICE_HELP)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class CoverageForm(StyledForm):
    covered = forms.TypedChoiceField(
        label=_("Coverage"),
        choices=[("1", _("Covered: every holiday of the year is entered")), ("0", _("Not covered: deadlines into this year fail closed"))],
        coerce=lambda v: v == "1",
    )
    notice = forms.CharField(label=_("Notice cited"), max_length=NOTICE_LENGTH, help_text=NOTICE_HELP)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
