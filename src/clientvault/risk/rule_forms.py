"""Forms for the credit-control rules and the tier policy (issue #16): what a risk officer types, as the service's values.

A rule's parameters depend on its measure (``rule_catalogue.PARAMS``): the form is built for one measure, one input
per parameter (per tier for the longest terms), labelled in the user's language. The service validates the whole rule
again and its messages land on the same inputs (``param_errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.core.errors import ValidationFailed
from clientvault.core.forms import StyledForm
from clientvault.risk import control
from clientvault.risk.models import Action, Tier
from clientvault.risk.rule_catalogue import PARAMS, TIERS

MEASURES = {
    "exposure_over_limit": _("Exposure over the effective limit"),
    "utilisation": _("Utilisation of the effective limit"),
    "days_overdue": _("Days overdue"),
    "overdue_ratio": _("Overdue share of the exposure"),
    "limit_expired": _("Limit expired with exposure remaining"),
    "review_overdue": _("Periodic review overdue"),
    "hold_in_force": _("Credit hold in force"),
    "terms_over_tier_max": _("Payment terms over the tier's maximum"),
    "tier_policy": _("Risk tier"),
    "temporary_limit_expiring": _("Temporary limit ending soon"),
    "collateral_advance": _("Collateral raises the effective limit"),
}
CHECKPOINTS = {
    control.NEW_CREDIT: _("New loan or credit line"),
    control.DRAWDOWN: _("Drawdown"),
    control.TERMS_CHANGE: _("Payment-terms change"),
    control.EVALUATION: _("Nightly and on-payment evaluation"),
}
# (measure, parameter) -> label; a parameter's label may depend on the measure that reads it.
PARAM_LABELS = {
    ("exposure_over_limit", "ratio"): _("Exposure allowed, as a multiple of the effective limit"),
    ("utilisation", "at"): _("Utilisation at or above (1 = 100%)"),
    ("days_overdue", "at"): _("Days overdue at or above"),
    ("overdue_ratio", "at"): _("Overdue share at or above (0.1 = 10%)"),
    ("hold_in_force", "forced_only"): _("Only a forced hold counts"),
    ("terms_over_tier_max", "max_days"): _("Longest payment terms (days)"),
    ("tier_policy", "tiers"): _("Tiers the rule acts on"),
    ("temporary_limit_expiring", "days"): _("Days before the temporary limit ends"),
    ("collateral_advance", "advance_rate"): _("Advance rate on collateral (0.5 = 50%)"),
}
FIELD_LABELS = {
    "measure": _("Measure"),
    "params": _("Parameters"),
    "action": _("Control action"),
    "checkpoints": _("Checkpoints"),
    "active": _("Status"),
    "citation": _("Citation"),
    "description": _("Description"),
    "model_id": _("Scorecard"),
    "high_risk_below": _("High risk below the score"),
    "low_risk_from": _("Low risk from the score"),
    "review_months_high": _("Review every (months), high risk"),
    "review_months_medium": _("Review every (months), medium risk"),
    "review_months_low": _("Review every (months), low risk"),
}
UNSCORED = "unscored"  # the form's name for the "" key (a file not yet scored)
TIER_LABELS = {**{t.value: t.label for t in Tier}, UNSCORED: _("Not yet scored")}


def _tier_key(key: str) -> str:
    return UNSCORED if key == "" else key


def _input(kind: str, low: float, high: float, label: Any) -> forms.Field:
    if kind == "flag":
        return forms.BooleanField(label=label, required=False)
    if kind == "tiers":
        return forms.MultipleChoiceField(
            label=label, required=False, choices=[(t, TIER_LABELS[t]) for t in TIERS], widget=forms.CheckboxSelectMultiple
        )
    if kind == "days":
        return forms.IntegerField(label=label, min_value=int(low), max_value=int(high))
    return forms.FloatField(label=label, min_value=low, max_value=high)


class RuleForm(StyledForm):
    """One rule of one measure: action, checkpoints, on/off, its parameters, citation, description and the reason."""

    action = forms.ChoiceField(label=_("Control action"), choices=Action.choices)
    checkpoints = forms.MultipleChoiceField(label=_("Checkpoints"), choices=list(CHECKPOINTS.items()), widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("In force"), required=False)
    citation = forms.CharField(label=_("Citation"), max_length=60, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, measure: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure = measure
        for name, (kind, low, high, _laxer) in PARAMS.get(measure, {}).items():
            label = PARAM_LABELS.get((measure, name), name)
            if kind == "days_by_tier":
                for key in (*TIERS, ""):
                    field = _input("days", low, high, f"{label} · {TIER_LABELS[_tier_key(key)]}")
                    self.fields[f"p_{name}_{_tier_key(key)}"] = field
            else:
                self.fields[f"p_{name}"] = _input(kind, low, high, label)
        self.order_fields(["action", "checkpoints", "active", *[f for f in self.fields if f.startswith("p_")]])
        self.style_fields()

    def param_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("p_")]

    def values(self) -> dict[str, Any]:
        """The rule's values as the service takes them (the reason apart)."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for name, (kind, _low, _high, _laxer) in PARAMS.get(self.measure, {}).items():
            if kind == "days_by_tier":
                params[name] = {key: data.get(f"p_{name}_{_tier_key(key)}") for key in (*TIERS, "")}
            elif kind == "tiers":
                params[name] = list(data.get(f"p_{name}") or [])
            else:
                params[name] = data.get(f"p_{name}")
        return {
            "measure": self.measure,
            "action": data["action"],
            "checkpoints": list(data["checkpoints"]),
            "active": bool(data.get("active")),
            "params": params,
            "citation": data.get("citation", ""),
            "description": data.get("description", ""),
        }

    def param_errors(self, exc: ValidationFailed) -> None:
        """The service's messages on the inputs they concern (``params.max_days`` → the first tier's input)."""
        for key, messages in exc.fields.items():
            name = key.replace("params.", "p_", 1)
            if name not in self.fields:
                name = next((f for f in self.fields if f.startswith(name + "_")), "")
            for message in messages:
                self.add_error(name or None, str(message))


def rule_initial(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's values as the form's initial data."""
    initial = {k: snapshot.get(k) for k in ("action", "checkpoints", "active", "citation", "description")}
    params = snapshot.get("params") or {}
    for name, (kind, _low, _high, _laxer) in PARAMS.get(str(snapshot.get("measure")), {}).items():
        value = params.get(name)
        if kind == "days_by_tier":
            for key in (*TIERS, ""):
                initial[f"p_{name}_{_tier_key(key)}"] = (value or {}).get(key)
        else:
            initial[f"p_{name}"] = value
    return initial


class NewRuleForm(RuleForm):
    code = forms.SlugField(label=_("Rule code"), max_length=60, help_text=_("Lower-case letters, digits and hyphens."))

    def __init__(self, *args: Any, measure: str, **kwargs: Any) -> None:
        super().__init__(*args, measure=measure, **kwargs)
        self.order_fields(["code", *[f for f in self.fields if f != "code"]])


class MeasureForm(StyledForm):
    measure = forms.ChoiceField(label=_("Measure"), choices=list(MEASURES.items()))


class TierPolicyForm(StyledForm):
    model_id = forms.CharField(label=_("Scorecard"), max_length=80, help_text=_("The scorecard whose scale the thresholds were set on."))
    high_risk_below = forms.FloatField(label=_("High risk below the score"), min_value=-100000, max_value=100000)
    low_risk_from = forms.FloatField(label=_("Low risk from the score"), min_value=-100000, max_value=100000)
    review_months_high = forms.IntegerField(label=_("Review every (months), high risk"), min_value=1, max_value=60)
    review_months_medium = forms.IntegerField(label=_("Review every (months), medium risk"), min_value=1, max_value=60)
    review_months_low = forms.IntegerField(label=_("Review every (months), low risk"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
