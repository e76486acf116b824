"""Forms of the approvals pages: inbox and my-requests filters, the decision forms, the approval rule editor."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import rule_catalogue
from clientvault.approvals.models import ChangeRequest
from clientvault.core.forms import StyledForm
from clientvault.core.roles import ROLE_LABELS

DUE_CHOICES = [("", _("Any due date")), ("overdue", _("Overdue")), ("near", _("Due within a working day"))]


class InboxFilterForm(StyledForm):
    change_type = forms.ChoiceField(label=_("Change type"), required=False)
    due = forms.ChoiceField(label=_("Due"), required=False, choices=DUE_CHOICES)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, change_types: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["change_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All change types")), *change_types]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "change_type": data.get("change_type") or "",
            "overdue": data.get("due") == "overdue",
            "near_due": data.get("due") == "near",
        }


class MineFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), ("open", _("Open")), *ChangeRequest.Status.choices]
    )
    page = forms.IntegerField(required=False, min_value=1)


class DecisionForm(StyledForm):
    """Approve, reject or withdraw, with a reason (required to reject: the services say so)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _role_choices() -> list[tuple[str, Any]]:
    return [(code, label) for code, label in ROLE_LABELS.items()]


STEP_LINE = re.compile(r"^\s*(\d+)\s*\|\s*([a-z_,\s]+?)\s*\|\s*(\d+)\s*$")


def parse_steps(text: str) -> list[dict[str, Any]]:
    """``stage | role, role | required`` per line → the rule's steps; a line that does not parse raises ValueError."""
    steps = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = STEP_LINE.match(line)
        if m is None:
            raise ValueError(line)
        roles = [r for r in re.split(r"[,\s]+", m.group(2)) if r]
        steps.append({"stage": int(m.group(1)), "roles": roles, "required": int(m.group(3))})
    return steps


def format_steps(steps: list[dict[str, Any]]) -> str:
    return "\n".join(f"{s['stage']} | {', '.join(s['roles'])} | {s['required']}" for s in steps)


def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[,\s]+", text or "") if c]


CORE_CHOICES = [("", _("Core or not")), ("yes", _("Core customers only")), ("no", _("Other customers only"))]
CLASS_CHOICES = [("C1", "C1"), ("C2", "C2"), ("C3", "C3")]
RISK_CHOICES = [("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))]


class RuleForm(StyledForm):
    """An approval rule as compliance edits it; ``to_rule`` turns it into the catalogue's data."""

    change_type = forms.ChoiceField(label=_("Change type"))
    priority = forms.IntegerField(label=_("Priority (lower wins)"), min_value=0, initial=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    min_amount_minor = forms.IntegerField(label=_("From amount (minor units, e.g. fen)"), required=False, min_value=0)
    max_amount_minor = forms.IntegerField(label=_("Below amount (minor units)"), required=False, min_value=0)
    currencies = forms.CharField(label=_("Currencies (ISO codes, comma separated)"), required=False, max_length=200)
    customer_classes = forms.MultipleChoiceField(
        label=_("Customer classes"), required=False, choices=CLASS_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    core = forms.ChoiceField(label=_("Core customers"), required=False, choices=CORE_CHOICES)
    risks = forms.MultipleChoiceField(label=_("Risk levels"), required=False, choices=RISK_CHOICES, widget=forms.CheckboxSelectMultiple)
    department_ids = forms.CharField(label=_("Department ids (comma separated)"), required=False, max_length=200)
    steps = forms.CharField(
        label=_("Approval steps"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_("One line per step: stage | roles | approvals, e.g. 1 | sales_manager | 1"),
    )
    supervisor_threshold_minor = forms.IntegerField(label=_("Supervisor re-check from amount (minor units)"), required=False, min_value=0)
    supervisor_roles = forms.MultipleChoiceField(
        label=_("Supervisor re-check by"), required=False, choices=_role_choices, widget=forms.CheckboxSelectMultiple
    )
    sla_working_days = forms.IntegerField(label=_("Due within (working days)"), min_value=1, initial=2)
    escalate_to = forms.MultipleChoiceField(
        label=_("Escalate to"), required=False, choices=_role_choices, widget=forms.CheckboxSelectMultiple
    )
    expire_after_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1, initial=30)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)

    def __init__(self, *args: Any, change_types: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["change_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = change_types if change_types is not None else rule_catalogue.change_type_choices()

    def clean_steps(self) -> list[dict[str, Any]]:
        try:
            return parse_steps(self.cleaned_data.get("steps") or "")
        except ValueError:
            raise forms.ValidationError(_("Write each step as: stage | roles | approvals needed.")) from None

    def clean_department_ids(self) -> list[int]:
        codes = _codes(self.cleaned_data.get("department_ids") or "")
        if not all(c.isdigit() for c in codes):
            raise forms.ValidationError(_("Enter department ids as numbers."))
        return [int(c) for c in codes]

    @staticmethod
    def to_rule(data: dict[str, Any]) -> dict[str, Any]:
        """Form values → the catalogue's rule data (the service validates the whole rule)."""
        conditions: dict[str, Any] = {}
        for key in ("min_amount_minor", "max_amount_minor"):
            if data.get(key) is not None:
                conditions[key] = data[key]
        if currencies := [c.upper() for c in _codes(data.get("currencies") or "")]:
            conditions["currencies"] = currencies
        for key in ("customer_classes", "risks", "department_ids"):
            if data.get(key):
                conditions[key] = list(data[key])
        if data.get("core") in ("yes", "no"):
            conditions["core"] = data["core"] == "yes"
        return {
            "change_type": data["change_type"],
            "priority": data["priority"],
            "active": bool(data.get("active")),
            "description": data.get("description") or "",
            "conditions": conditions,
            "steps": data["steps"],
            "supervisor_threshold_minor": data.get("supervisor_threshold_minor"),
            "supervisor_roles": list(data.get("supervisor_roles") or []),
            "sla_working_days": data["sla_working_days"],
            "escalate_to": list(data.get("escalate_to") or []),
            "expire_after_days": data["expire_after_days"],
        }

    @staticmethod
    def initial_from(snapshot: dict[str, Any]) -> dict[str, Any]:
        """The catalogue's rule data → form values."""
        conditions = snapshot.get("conditions") or {}
        core = conditions.get("core")
        return {
            **{k: snapshot.get(k) for k in ("change_type", "priority", "active", "description", "sla_working_days", "expire_after_days")},
            "min_amount_minor": conditions.get("min_amount_minor"),
            "max_amount_minor": conditions.get("max_amount_minor"),
            "currencies": ", ".join(conditions.get("currencies") or []),
            "customer_classes": conditions.get("customer_classes") or [],
            "core": "" if core is None else ("yes" if core else "no"),
            "risks": conditions.get("risks") or [],
            "department_ids": ", ".join(str(d) for d in conditions.get("department_ids") or []),
            "steps": format_steps(snapshot.get("steps") or []),
            "supervisor_threshold_minor": snapshot.get("supervisor_threshold_minor"),
            "supervisor_roles": snapshot.get("supervisor_roles") or [],
            "escalate_to": snapshot.get("escalate_to") or [],
        }


class NewRuleForm(RuleForm):
    code = forms.CharField(label=_("Code"), max_length=60, help_text=_("Lower-case letters, digits and hyphens."))

    field_order = ["code"]
