"""Approval rules as pure functions: does a rule match a change's facts, what plan does it give, is a rule
well formed (CONVENTIONS.md: rules are pure; no database here).

Conditions (all optional; an empty list or a missing key matches anything):
- ``min_amount_minor`` (inclusive) / ``max_amount_minor`` (exclusive): the amount in minor units; a rule
  with an amount bound does not match a change without an amount;
- ``currencies``, ``customer_classes``, ``risks``, ``department_ids``: the fact must be one of them;
- ``core``: true / false; null or missing matches both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.approvals.registry import Facts
from clientvault.core.errors import ValidationFailed

CONDITION_KEYS = ("min_amount_minor", "max_amount_minor", "currencies", "customer_classes", "core", "department_ids", "risks")
SUPERVISOR = "supervisor"  # the step flag of the 主管复核 stage added above the threshold


@dataclass(frozen=True)
class RuleValues:
    """The values of a rule that routing needs (from the row or a version snapshot)."""

    code: str
    version: int
    priority: int
    conditions: Mapping[str, Any]
    steps: list[dict[str, Any]]
    supervisor_threshold_minor: int | None
    supervisor_roles: list[str]
    sla_working_days: int
    escalate_to: list[str]
    expire_after_days: int


def matches(conditions: Mapping[str, Any], facts: Facts) -> bool:
    """Whether a rule's conditions hold for the facts (pure)."""
    low, high = conditions.get("min_amount_minor"), conditions.get("max_amount_minor")
    if low is not None or high is not None:
        if facts.amount_minor is None:
            return False
        if low is not None and facts.amount_minor < int(low):
            return False
        if high is not None and facts.amount_minor >= int(high):
            return False
    one_of = {
        "currencies": facts.currency,
        "customer_classes": facts.customer_class,
        "risks": facts.risk,
        "department_ids": str(facts.department_id) if facts.department_id else "",
    }
    for key, value in one_of.items():
        allowed = conditions.get(key) or []
        if allowed and value not in {str(a) for a in allowed}:
            return False
    core = conditions.get("core")
    return core is None or bool(core) == facts.core


def choose(rules: Iterable[RuleValues], facts: Facts) -> RuleValues | None:
    """The matching rule of lowest priority (then code); None when no rule matches (no approval needed)."""
    for rule in sorted(rules, key=lambda r: (r.priority, r.code)):
        if matches(rule.conditions, facts):
            return rule
    return None


def plan(rule: RuleValues, facts: Facts) -> list[dict[str, Any]]:
    """The stages a request goes through: the rule's steps, plus the supervisor re-check stage (主管复核)
    when the amount reaches the threshold."""
    steps: list[dict[str, Any]] = [
        {"stage": int(s["stage"]), "roles": list(s["roles"]), "required": int(s["required"])} for s in rule.steps
    ]
    threshold = rule.supervisor_threshold_minor
    if threshold is not None and rule.supervisor_roles and facts.amount_minor is not None and facts.amount_minor >= threshold:
        last = max((int(s["stage"]) for s in steps), default=0)
        steps.append({"stage": last + 1, "roles": list(rule.supervisor_roles), "required": 1, SUPERVISOR: True})
    return sorted(steps, key=lambda s: s["stage"])


def plan_roles(steps: Iterable[Mapping[str, Any]], also: Iterable[str] = ()) -> str:
    roles = {r for s in steps for r in s["roles"]} | set(also)
    return "".join(f",{r}" for r in sorted(roles)) + "," if roles else ""


def stage_done(steps: list[dict[str, Any]], approvals: list[tuple[str, int]]) -> bool:
    """Whether every step of a stage has its ``required`` approvals; ``approvals`` are (role, stage)."""
    return all(sum(1 for role, _stage in approvals if role in s["roles"]) >= int(s["required"]) for s in steps)


def open_step(steps: list[dict[str, Any]], approvals: list[tuple[str, int]], roles: Iterable[str]) -> tuple[dict[str, Any], str] | None:
    """The first step of the stage still short of approvals that one of ``roles`` may fill, and that role."""
    held = set(roles)
    for s in steps:
        given = sum(1 for role, _stage in approvals if role in s["roles"])
        if given >= int(s["required"]):
            continue
        for role in s["roles"]:
            if role in held:
                return s, role
    return None


# --- Validation of a rule (the catalogue's ``clean``) -----------------------------------------------


def _int(value: Any, *, minimum: int, allow_none: bool = False) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValueError
    number = int(value)
    if number < minimum or isinstance(value, bool):
        raise ValueError
    return number


def _roles(value: Any, known: set[str]) -> list[str]:
    roles = [str(r) for r in (value or [])]
    if any(r not in known for r in roles):
        raise ValueError
    return sorted(set(roles), key=roles.index)


def _strings(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValueError
    return [str(v) for v in value]


def clean_rule(data: Mapping[str, Any], *, known_roles: set[str], change_types: set[str] | None = None) -> dict[str, Any]:
    """Validate a whole rule (pure): roles exist, each step needs at least one approval, stages are
    contiguous from 1, conditions are the known ones. ``change_types`` (when given) must hold the type."""
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    out["change_type"] = str(data.get("change_type") or "").strip()
    if not out["change_type"] or (change_types is not None and out["change_type"] not in change_types):
        errors["change_type"] = [_("Choose a change type.")]
    for name, minimum, default in (("priority", 0, 100), ("sla_working_days", 1, 2), ("expire_after_days", 1, 30)):
        try:
            out[name] = _int(data.get(name, default), minimum=minimum)
        except (TypeError, ValueError):
            errors[name] = [_("Enter a whole number of at least %(n)d.") % {"n": minimum}]
    out["active"] = bool(data.get("active", True))
    out["description"] = " ".join(str(data.get("description") or "").split())[:300]

    conditions = data.get("conditions") or {}
    if not isinstance(conditions, Mapping) or set(conditions) - set(CONDITION_KEYS):
        errors["conditions"] = [_("Unknown condition.")]
        conditions = {}
    clean_conditions: dict[str, Any] = {}
    try:
        for key in ("min_amount_minor", "max_amount_minor"):
            if conditions.get(key) is not None:
                clean_conditions[key] = _int(conditions[key], minimum=0)
        for key in ("currencies", "customer_classes", "department_ids", "risks"):
            if values := _strings(conditions.get(key)):
                clean_conditions[key] = values
        if conditions.get("core") is not None:
            clean_conditions["core"] = bool(conditions["core"])
        low, high = clean_conditions.get("min_amount_minor"), clean_conditions.get("max_amount_minor")
        if low is not None and high is not None and low >= high:
            raise ValueError
    except (TypeError, ValueError):
        errors["conditions"] = [_("The conditions are not valid.")]
    out["conditions"] = clean_conditions

    steps: list[dict[str, Any]] = []
    try:
        raw = data.get("steps") or []
        if not isinstance(raw, list | tuple) or not raw:
            raise ValueError
        for s in raw:
            roles = _roles(s.get("roles"), known_roles)
            stage, required = _int(s.get("stage"), minimum=1), _int(s.get("required"), minimum=1)
            if not roles or stage is None or required is None:
                raise ValueError
            steps.append({"stage": stage, "roles": roles, "required": required})
        stages = sorted({s["stage"] for s in steps})
        if stages != list(range(1, len(stages) + 1)):
            raise ValueError
    except (AttributeError, TypeError, ValueError):
        errors["steps"] = [_("Each step needs known roles and ≥ 1 approval; stages run 1, 2, 3 …")]
    out["steps"] = sorted(steps, key=lambda s: s["stage"])

    try:
        out["supervisor_threshold_minor"] = _int(data.get("supervisor_threshold_minor"), minimum=0, allow_none=True)
        out["supervisor_roles"] = _roles(data.get("supervisor_roles"), known_roles)
        if (out["supervisor_threshold_minor"] is None) != (not out["supervisor_roles"]):
            raise ValueError
    except (TypeError, ValueError):
        errors["supervisor_roles"] = [_("A supervisor re-check needs both a threshold and known roles.")]
    try:
        out["escalate_to"] = _roles(data.get("escalate_to"), known_roles)
    except (TypeError, ValueError):
        errors["escalate_to"] = [_("Choose known roles.")]
    if errors:
        raise ValidationFailed(errors)
    return out


# What routes a change and who decides it: a change to any of these can let a change through with fewer or
# other eyes, so it is a second compliance officer's decision (rule 12). Deadlines, escalation and the
# description only change how fast and how loudly a request is chased; they are written at once.
GUARDING_FIELDS = ("change_type", "priority", "active", "conditions", "steps", "supervisor_threshold_minor", "supervisor_roles")


def weakens(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """The guarding fields a rule change touches, judged conservatively (pure).

    A new rule may win over an existing one (priority) for the same changes, so all its guarding fields
    count. A change to steps, conditions or priority counts whichever way it goes: proving that a new step
    list or condition set demands at least as much as the old for every possible change is not attempted;
    a second person reads the diff instead. Two one-way cases are let through: activating a rule, and
    lowering the supervisor threshold of a rule that had one (more changes get the 主管复核 stage)."""
    if before is None:
        return [f for f in GUARDING_FIELDS if after.get(f) not in (None, "", [], {})] or ["active"]
    found: list[str] = []
    for name in GUARDING_FIELDS:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name == "active" and new:
            continue
        if name == "supervisor_threshold_minor" and old is not None and new is not None and int(new) < int(old):
            continue
        found.append(name)
    return found
