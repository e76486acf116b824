"""The credit-control rules and the tier policy as editable catalogues (ARCHITECTURE.md rules 9 and 12; issue #16).

Risk officers (capability ``CREDIT_RULES``) change both; every change is a new version with its reason and one audit
event, through the kernel's ``core.catalogue_service``. What tightens credit control takes effect on one officer's
word; what loosens it is not written but proposed (``core.catalogue_changes``) for a second risk officer:

- a rule: a higher threshold (or a lower one where lower is laxer: the warning lead of an expiring temporary limit),
  a softer action (block → hold → warn), fewer checkpoints, a rule switched off, another measure, fewer tiers held,
  holds counted only when forced, a larger collateral advance, or a new collateral-advance rule (it raises limits);
- the tier policy: a lower high-risk threshold or low-risk threshold (fewer customers in the high tier, more in the
  low), longer review intervals, or thresholds bound to another scorecard.

Parameters are validated per measure (``PARAMS``): a threshold the engine would silently ignore (a string, a
negative ratio, an unknown key) is refused with the field named, so no edit can switch a rule off by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.core import catalogue_changes as changes
from clientvault.core import catalogue_service as catalogues
from clientvault.core.capabilities import CREDIT_RULES
from clientvault.core.catalogue_changes import ChangeFlow
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, ValidationFailed
from clientvault.risk import control
from clientvault.risk.models import Action, ControlRule, ControlRuleChange, Tier, TierPolicy, TierPolicyChange

CHECKPOINTS = (control.NEW_CREDIT, control.DRAWDOWN, control.TERMS_CHANGE, control.EVALUATION)
TIERS = (Tier.HIGH.value, Tier.MEDIUM.value, Tier.LOW.value)
_STRENGTH: dict[Any, int] = {Action.WARN.value: 1, Action.HOLD.value: 2, Action.BLOCK.value: 3}
_CODE = re.compile(r"^[a-z][a-z0-9-]{1,59}$")  # a letter first: audit details carry rule codes (core/details.py)

# measure -> {param: (kind, low, high, laxer)}; ``laxer`` is the direction that loosens the rule: "up" or "down".
# kinds: "number" (int or float), "days" (whole days), "flag" (bool: True is laxer), "tiers" (a list of tiers: fewer is
# laxer), "days_by_tier" (whole days per tier and "" for an unscored file: more is laxer).
PARAMS: dict[str, dict[str, tuple[str, float, float, str]]] = {
    "exposure_over_limit": {"ratio": ("number", 0.1, 10.0, "up")},
    "utilisation": {"at": ("number", 0.01, 10.0, "up")},
    "days_overdue": {"at": ("days", 1, 3650, "up")},
    "overdue_ratio": {"at": ("number", 0.0001, 1.0, "up")},
    "limit_expired": {},
    "review_overdue": {},
    "hold_in_force": {"forced_only": ("flag", 0, 1, "up")},
    "terms_over_tier_max": {"max_days": ("days_by_tier", 0, 3650, "up")},
    "tier_policy": {"tiers": ("tiers", 0, 3, "down")},
    "temporary_limit_expiring": {"days": ("days", 0, 365, "down")},
    "collateral_advance": {"advance_rate": ("number", 0.0, 1.0, "up")},
}


def _param_error(kind: str, low: float, high: float) -> Any:
    if kind == "flag":
        return _("Give yes or no.")
    if kind == "tiers":
        return _("List tiers from high, medium and low, each once.")
    if kind == "days_by_tier":
        return _("Give whole days from %(low)s to %(high)s for each tier.") % {"low": int(low), "high": int(high)}
    if kind == "days":
        return _("Give whole days from %(low)s to %(high)s.") % {"low": int(low), "high": int(high)}
    return _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}


def _clean_param(kind: str, low: float, high: float, value: Any) -> Any:
    """The value in its kind, or None when it is not one."""
    if kind == "flag":
        return value if isinstance(value, bool) else None
    if kind == "tiers":
        if not isinstance(value, list | tuple) or any(t not in TIERS for t in value) or len(set(value)) != len(value):
            return None
        return [t for t in TIERS if t in value]
    if kind == "days_by_tier":
        if not isinstance(value, Mapping) or any(k not in (*TIERS, "") for k in value):
            return None
        out = {k: _clean_param("days", low, high, v) for k, v in value.items()}
        return None if not out or any(v is None for v in out.values()) else {k: out[k] for k in (*TIERS, "") if k in out}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not low <= value <= high:  # also NaN and ±Infinity (JSON accepts them): no comparison holds
        return None
    if kind == "days" and float(value) != int(value):
        return None
    return int(value) if kind == "days" else float(value)


def clean_rule(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole credit-control rule (its measure decides which parameters it takes)."""
    errors: dict[str, list[Any]] = {}
    measure = str(data.get("measure") or "")
    if measure not in PARAMS:
        errors["measure"] = [_("Choose a measure the credit-control engine knows.")]
    action = str(data.get("action") or "")
    if action not in Action.values:
        errors["action"] = [_("Choose warn, hold or block.")]
    raw_points = data.get("checkpoints")
    points = [str(p) for p in raw_points] if isinstance(raw_points, list | tuple) else []
    if not points or any(p not in CHECKPOINTS for p in points) or len(set(points)) != len(points):
        errors["checkpoints"] = [_("Choose at least one checkpoint, each once.")]
    params = data.get("params") if isinstance(data.get("params"), Mapping) else None
    cleaned_params: dict[str, Any] = {}
    if params is None:
        errors["params"] = [_("Give the rule's parameters.")]
    elif measure in PARAMS:
        schema = PARAMS[measure]
        unknown = sorted(set(params) - set(schema))
        if unknown:
            errors["params"] = [_("This measure takes no parameter %(names)s.") % {"names": ", ".join(unknown)}]
        for name, (kind, low, high, _laxer) in schema.items():
            value = _clean_param(kind, low, high, params.get(name))
            if value is None:
                errors[f"params.{name}"] = [_param_error(kind, low, high)]
            cleaned_params[name] = value
    active = data.get("active", True)
    if not isinstance(active, bool):
        errors["active"] = [_("Give yes or no.")]
    out: dict[str, Any] = {"measure": measure, "params": cleaned_params, "action": action, "active": active}
    out["checkpoints"] = [p for p in CHECKPOINTS if p in points]
    for field, limit in (("citation", 60), ("description", 300)):
        value = " ".join(str(data.get(field) or "").split())
        if len(value) > limit:
            errors[field] = [_("Use at most %(n)d characters.") % {"n": limit}]
        out[field] = value
    if errors:
        raise ValidationFailed(errors)
    return out


def _laxer(kind: str, laxer: str, before: Any, after: Any) -> bool:
    if before == after:
        return False
    if kind == "flag":
        return bool(after) and not bool(before)
    if kind == "tiers":
        return bool(set(before or ()) - set(after or ()))
    if kind == "days_by_tier":  # the engine reads a tier's own entry, else the "" entry: compare what it would read
        before, after = before or {}, after or {}
        for tier in (*TIERS, ""):
            was, now = before.get(tier, before.get("")), after.get(tier, after.get(""))
            if was is not None and (now is None or now > was):
                return True
        return False
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return True
    return after > before if laxer == "up" else after < before


# Measures whose rule, where it acts, raises what a customer may draw (collateral raises the effective limit): for
# them switching on and acting at more checkpoints loosen control; for every other measure they tighten it.
RAISING_MEASURES = frozenset({"collateral_advance"})


def loosens_rule(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Rule 12: what in the change loosens credit control (a second risk officer decides)."""
    raising = after.get("measure") in RAISING_MEASURES
    if before is None:  # a new rule tightens, except one that raises limits by collateral
        return ["measure"] if raising and after.get("active") else []
    loosened = []
    if after.get("measure") != before.get("measure"):
        return sorted(k for k in after if after.get(k) != before.get(k))  # another rule altogether
    if bool(before.get("active")) != bool(after.get("active")) and bool(after.get("active")) == raising:
        loosened.append("active")
    if _STRENGTH.get(after.get("action"), 0) < _STRENGTH.get(before.get("action"), 0):
        loosened.append("action")
    removed = set(before.get("checkpoints") or ()) - set(after.get("checkpoints") or ())
    added = set(after.get("checkpoints") or ()) - set(before.get("checkpoints") or ())
    if added if raising else removed:
        loosened.append("checkpoints")
    schema = PARAMS.get(str(after.get("measure")), {})
    b, a = before.get("params") or {}, after.get("params") or {}
    if any(_laxer(kind, lax, b.get(name), a.get(name)) for name, (kind, _lo, _hi, lax) in schema.items()):
        loosened.append("params")
    return loosened


def clean_policy(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole tier policy: thresholds on the score (high-risk below ≤ low-risk from) and review intervals."""
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    model_id = " ".join(str(data.get("model_id") or "").split())
    if not model_id or len(model_id) > 80:
        errors["model_id"] = [_("Name the scorecard the thresholds were set for (at most 80 characters).")]
    out["model_id"] = model_id
    for field in ("high_risk_below", "low_risk_from"):
        value = data.get(field)
        if isinstance(value, bool) or not isinstance(value, int | float) or not -100000 <= value <= 100000:
            errors[field] = [_("Give a score from -100000 to 100000.")]
            value = None
        out[field] = float(value) if value is not None else None
    if out["high_risk_below"] is not None and out["low_risk_from"] is not None and out["high_risk_below"] > out["low_risk_from"]:
        errors["low_risk_from"] = [_("The low-risk threshold cannot be below the high-risk one.")]
    for field in ("review_months_high", "review_months_medium", "review_months_low"):
        value = data.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
            errors[field] = [_("Give whole months from 1 to 60.")]
        out[field] = value
    if errors:
        raise ValidationFailed(errors)
    return out


def loosens_policy(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Rule 12: fewer customers held high-risk, more called low-risk, reviews further apart, another scorecard."""
    if before is None:
        return sorted(after)
    loosened = [f for f in ("high_risk_below", "low_risk_from") if after[f] < before[f]]
    loosened += [f for f in ("review_months_high", "review_months_medium", "review_months_low") if after[f] > before[f]]
    if after["model_id"] != before["model_id"]:
        loosened.append("model_id")
    return sorted(loosened)


RULES = Catalogue(
    model=ControlRule,
    capability=CREDIT_RULES,
    changed_event="credit.rule_changed",
    created_event="credit.rule_created",
    reason_missing=_("Say why the credit-control rule changes."),
    clean=clean_rule,
    widening=loosens_rule,
    propose=lambda **kw: changes.propose(RULE_CHANGES, **kw),
)

RULE_CHANGES: ChangeFlow = ChangeFlow(
    catalogue=RULES,
    change_model=ControlRuleChange,
    object_type="risk.controlrule",
    proposed_event="credit.rule_change_proposed",
    approved_event="credit.rule_change_approved",
    rejected_event="credit.rule_change_rejected",
    already_waiting=_("A change to this credit-control rule is already waiting for approval."),
    stale=_("The credit-control rule changed since this was proposed; propose it again."),
    maker_is_checker=_("A second risk officer decides a change you proposed."),
    allow_new=True,
)

POLICIES = Catalogue(
    model=TierPolicy,
    capability=CREDIT_RULES,
    changed_event="credit.tier_policy_changed",
    reason_missing=_("Say why the tier policy changes."),
    clean=clean_policy,
    widening=loosens_policy,
    propose=lambda **kw: changes.propose(POLICY_CHANGES, **kw),
)

POLICY_CHANGES: ChangeFlow = ChangeFlow(
    catalogue=POLICIES,
    change_model=TierPolicyChange,
    object_type="risk.tierpolicy",
    proposed_event="credit.tier_policy_change_proposed",
    approved_event="credit.tier_policy_change_approved",
    rejected_event="credit.tier_policy_change_rejected",
    already_waiting=_("A change to the tier policy is already waiting for approval."),
    stale=_("The tier policy changed since this was proposed; propose it again."),
    maker_is_checker=_("A second risk officer decides a change you proposed."),
)

FLOWS = {"rule": RULE_CHANGES, "policy": POLICY_CHANGES}


def change_rule(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> ControlRule | ControlRuleChange:
    """A new version of a credit-control rule, or a proposal for a second risk officer when it loosens the rule."""
    return catalogues.save_version(RULES, ctx=ctx, key=code, data=data, reason=reason)  # type: ignore[no-any-return]


@transaction.atomic
def create_rule(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> ControlRule | ControlRuleChange:
    """Version 1 of a new rule (a new collateral advance is proposed instead: it raises effective limits)."""
    catalogues.require_change(ctx, RULES)
    RULES.require_reason(reason)
    code = (code or "").strip()
    if not _CODE.match(code):
        raise ValidationFailed({"code": [_("Use 2 to 60 lower-case letters, digits and hyphens, beginning with a letter.")]})
    if ControlRule.objects.select_for_update().filter(code=code).exists():
        raise Conflict(_("A credit-control rule with this code exists."), code="exists")
    cleaned = clean_rule({"active": True, "params": {}, **data})
    return catalogues.create_entry(RULES, ctx=ctx, key=code, cleaned=cleaned, reason=reason)  # type: ignore[no-any-return]


def change_policy(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> TierPolicy | TierPolicyChange:
    """A new version of a tier policy, or a proposal for a second risk officer when it lowers protection."""
    return catalogues.save_version(POLICIES, ctx=ctx, key=code, data=data, reason=reason)  # type: ignore[no-any-return]


def approve(kind: str, *, ctx: Context, change_id: Any, reason: str) -> ControlRule | TierPolicy:
    """A second risk officer approves a pending change (``kind``: "rule" or "policy"); it becomes the next version."""
    return changes.approve(FLOWS[kind], ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[return-value]


def reject(kind: str, *, ctx: Context, change_id: Any, reason: str) -> ControlRuleChange | TierPolicyChange:
    return changes.reject(FLOWS[kind], ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[no-any-return]
