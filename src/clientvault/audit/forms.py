"""The audit search filter bar: it parses types; the selectors decide what may be read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.access.models import Purpose
from clientvault.audit import registry, rules
from clientvault.audit.models import AuditEvent
from clientvault.core.forms import StyledForm

# The query-string names, shared with the API (``?customer=…&from=…&to=…``).
FROM, TO = "from", "to"


def event_type_choices() -> list[tuple[str, str]]:
    """Every registered event type, by its label in the user's language, with its code."""
    items = sorted(registry.EVENT_TYPES.values(), key=lambda t: t.name)
    return [("", str(_("All event types")))] + [(t.name, f"{t.label} · {t.name}") for t in items]


def purpose_choices() -> list[tuple[str, str]]:

    language = get_language()
    return [("", str(_("All purposes")))] + [(p.code, f"{p.name(language)} · {p.code}") for p in Purpose.objects.order_by("code")]


class AuditSearchForm(StyledForm):
    customer = forms.UUIDField(label=_("Customer id"), required=False)
    actor = forms.CharField(label=_("User name"), max_length=150, required=False)
    event_type = forms.ChoiceField(label=_("Event type"), required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("All outcomes")), *AuditEvent.Outcome.choices], required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = event_type_choices()  # type: ignore[attr-defined]
        self.fields["purpose"].choices = purpose_choices()  # type: ignore[attr-defined]
        # ``from`` is a Python keyword, so the date fields are added by name.
        self.fields[FROM] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        )
        self.fields[TO] = forms.DateField(
            label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        )
        self.style_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get(FROM), data.get(TO)
        if first and last and last < first:
            self.add_error(TO, _("The end of the time range must be after its start."))
        return data

    def filters(self, zone: dt.tzinfo) -> rules.EventFilters:
        """The filters of a valid form, the dates as whole days in the user's time zone."""
        data = self.cleaned_data
        start, end = rules.day_range(data.get(FROM), data.get(TO), zone)
        return rules.EventFilters(
            customer_id=data.get("customer"),
            actor=(data.get("actor") or "").strip(),
            event_type=data.get("event_type") or "",
            purpose=data.get("purpose") or "",
            outcome=data.get("outcome") or "",
            start=start,
            end=end,
        )
