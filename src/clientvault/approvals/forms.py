"""Forms of the approvals pages: the inbox and my-requests filters, the decision form (slice C) and the
approval rule form (slice A; the rules pages use it with ``core.catalogues.edit_view``).

Steps are typed one per line as ``stage; role, role; required`` (e.g. ``1; sales_manager; 2``): steps with
the same stage run in parallel. The form validates the whole rule with ``rules.clean_rule`` — the same
check the service runs — so a wrong role, a step needing no approval or a gap in the stages is said on the
field. ``initial_from`` turns a version snapshot into form values and ``to_rule`` the form's cleaned data
into the rule's values.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import rule_catalogue
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.rules import clean_rule
from clientvault.core.errors import ValidationFailed
from clientvault.core.forms import StyledForm, apply_errors

CLASS_CHOICES = [("C1", "C1"), ("C2", "C2"), ("C3", "C3")]
RISK_CHOICES = [("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))]
CORE_CHOICES = [("", _("Either")), ("true", _("Core records only")), ("false", _("Other records only"))]
FORM_ONLY = ("reason", "code")


def format_steps(steps: list[dict[str, Any]]) -> str:
    return "\n".join(f"{s['stage']}; {', '.join(s['roles'])}; {s['required']}" for s in steps)


def parse_steps(text: str) -> list[dict[str, Any]]:
    """``stage; roles; required`` per line → steps; ValueError on a line that is not three parts."""
    steps = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) != 3:
            raise ValueError(line)
        steps.append({"stage": int(parts[0]), "roles": [r.strip() for r in parts[1].split(",") if r.strip()], "required": int(parts[2])})
    return steps


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


class ApprovalRuleForm(StyledForm):
    change_type = forms.ChoiceField(label=_("Change type"), choices=[])
    priority = forms.IntegerField(label=_("Priority (lower is tried first)"), min_value=0, initial=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    min_amount_minor = forms.IntegerField(label=_("From amount (minor units, inclusive)"), min_value=0, required=False)
    max_amount_minor = forms.IntegerField(label=_("Below amount (minor units)"), min_value=0, required=False)
    currencies = forms.CharField(label=_("Currencies (comma-separated, empty = any)"), required=False, max_length=200)
    customer_classes = forms.MultipleChoiceField(
        label=_("Highest class changed"), choices=CLASS_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    core = forms.ChoiceField(label=_("Core records"), choices=CORE_CHOICES, required=False)
    risks = forms.MultipleChoiceField(label=_("Customer risk"), choices=RISK_CHOICES, required=False, widget=forms.CheckboxSelectMultiple)
    steps = forms.CharField(
        label=_("Approval steps"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Per line: stage; roles, comma-separated; approvals needed."),
    )
    supervisor_threshold_minor = forms.IntegerField(label=_("Supervisor re-check from (minor units)"), min_value=0, required=False)
    supervisor_roles = forms.MultipleChoiceField(
        label=_("Supervisor roles"), choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )
    sla_working_days = forms.IntegerField(label=_("Due within (working days)"), min_value=1, initial=2)
    escalate_to = forms.MultipleChoiceField(label=_("Escalate to"), choices=[], required=False, widget=forms.CheckboxSelectMultiple)
    expire_after_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1, initial=30)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = sorted(rule_catalogue.known_roles())
        role_choices = [(r, r) for r in roles]
        self.fields["change_type"].choices = rule_catalogue.change_type_choices()  # type: ignore[attr-defined]
        self.fields["supervisor_roles"].choices = role_choices  # type: ignore[attr-defined]
        self.fields["escalate_to"].choices = role_choices  # type: ignore[attr-defined]
        self.style_fields()

    @staticmethod
    def initial_from(snapshot: dict[str, Any]) -> dict[str, Any]:
        conditions = dict(snapshot.get("conditions") or {})
        core = conditions.get("core")
        out = {k: v for k, v in snapshot.items() if k not in ("conditions", "steps")}
        return out | {
            "min_amount_minor": conditions.get("min_amount_minor"),
            "max_amount_minor": conditions.get("max_amount_minor"),
            "currencies": ", ".join(conditions.get("currencies") or []),
            "customer_classes": conditions.get("customer_classes") or [],
            "risks": conditions.get("risks") or [],
            "core": "" if core is None else ("true" if core else "false"),
            "steps": format_steps(list(snapshot.get("steps") or [])),
        }

    @staticmethod
    def to_rule(data: dict[str, Any]) -> dict[str, Any]:
        """The form's cleaned values as the rule's values (``reason`` and ``code`` stay with the caller)."""
        conditions: dict[str, Any] = {}
        for key in ("min_amount_minor", "max_amount_minor"):
            if data.get(key) is not None:
                conditions[key] = data[key]
        currencies = [c.strip().upper() for c in str(data.get("currencies") or "").split(",") if c.strip()]
        for key, values in (("currencies", currencies), ("customer_classes", data.get("customer_classes")), ("risks", data.get("risks"))):
            if values:
                conditions[key] = list(values)
        if data.get("core") in ("true", "false"):
            conditions["core"] = data["core"] == "true"
        skip = {"min_amount_minor", "max_amount_minor", "currencies", "customer_classes", "risks", "core", *FORM_ONLY}
        out = {k: v for k, v in data.items() if k not in skip}
        out["conditions"] = conditions
        return out

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if "steps" in cleaned:
            try:
                cleaned["steps"] = parse_steps(cleaned["steps"])
            except ValueError:
                self.add_error("steps", _("Write each step as: stage; roles; approvals required."))
                return cleaned
        if self.errors:
            return cleaned
        try:
            clean_rule(
                self.to_rule(dict(cleaned)),
                known_roles=rule_catalogue.known_roles(),
                change_types={c for c, _label in rule_catalogue.change_type_choices()},
            )
        except ValidationFailed as exc:
            apply_errors(self, exc)
        return cleaned


class NewApprovalRuleForm(ApprovalRuleForm):
    code = forms.SlugField(label=_("Code"), max_length=60, help_text=_("Lower-case letters, digits and hyphens; cannot change later."))
    field_order = ["code", "change_type"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
