"""Retention rules as a versioned catalogue (ARCHITECTURE.md rules 9 and 12; PIPL-19; issue #15).

Every change is a new version with its reason and one audit event (``lifecycle.rule_changed``) through the kernel's
``core.catalogue_service``. A change that lowers protection — a shorter period, or an end action that keeps less
(restrict → anonymise → delete) — is not written but proposed (``lifecycle.rule_change_proposed``) for a second
compliance officer to approve or reject (``lifecycle.rule_change_decided``). A longer period or a gentler end
action takes effect on one officer's word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.core import catalogue_changes as changes
from clientvault.core import catalogue_service as catalogues
from clientvault.core.capabilities import RETENTION_RULES
from clientvault.core.catalogue_changes import ChangeFlow
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.lifecycle.models import Category, EndAction, RetentionRule, RetentionRuleChange, StartEvent

_KEEPS = {EndAction.DELETE: 0, EndAction.ANONYMISE: 1, EndAction.RESTRICT: 2}


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole rule."""
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    for field, choices in (("category", Category), ("start_event", StartEvent), ("end_action", EndAction)):
        value = str(data.get(field) or "")
        if value not in choices.values:
            errors[field] = [_("Choose a value from the list.")]
        out[field] = value
    try:
        months = int(data.get("period_months"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        months = -1
    if not 0 <= months <= 1200:
        errors["period_months"] = [_("Give the period in whole months (0 to 1200).")]
    out["period_months"] = months
    for field, limit in (("purpose", 40), ("legal_basis", 60), ("citation", 60), ("description", 300)):
        value = " ".join(str(data.get(field) or "").split())
        if len(value) > limit:
            errors[field] = [_("Use at most %(n)d characters.") % {"n": limit}]
        out[field] = value
    if not out["purpose"]:
        errors["purpose"] = [_("Name the purpose the data is kept for.")]
    if errors:
        raise ValidationFailed(errors)
    return out


def lowers_protection(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Rule 12: what in the change keeps less data, or keeps it less carefully (a second officer decides)."""
    if before is None:
        return []
    lowered = []
    if int(after["period_months"]) < int(before["period_months"]):
        lowered.append("period_months")
    if _KEEPS.get(after["end_action"], 0) < _KEEPS.get(before["end_action"], 0):
        lowered.append("end_action")
    for field in ("category", "purpose", "start_event"):
        if after.get(field) != before.get(field):
            lowered.append(field)  # the rule now covers other data: not one person's call either
    return lowered


RULES = Catalogue(
    model=RetentionRule,
    capability=RETENTION_RULES,
    changed_event="lifecycle.rule_changed",
    reason_missing=_("Say why the retention rule changes."),
    clean=clean,
    widening=lowers_protection,
    propose=lambda **kw: changes.propose(CHANGES, **kw),
)

CHANGES: ChangeFlow = ChangeFlow(
    catalogue=RULES,
    change_model=RetentionRuleChange,
    object_type="lifecycle.retentionrule",
    proposed_event="lifecycle.rule_change_proposed",
    approved_event="lifecycle.rule_change_decided",
    rejected_event="lifecycle.rule_change_decided",
    already_waiting=_("A change to this retention rule is already waiting for approval."),
    stale=_("The retention rule changed since this was proposed; propose it again."),
    maker_is_checker=_("A second compliance officer decides a change you proposed."),
    decision_reason_required=False,
)


def change_rule(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> RetentionRule | RetentionRuleChange:
    """A new version of a retention rule, or a proposal when it lowers protection."""
    return catalogues.save_version(RULES, ctx=ctx, key=code, data=data, reason=reason)  # type: ignore[no-any-return]


def decide(*, ctx: Context, change_id: Any, approve: bool, reason: str = "") -> RetentionRuleChange:
    """A second compliance officer approves (the proposal becomes the next version, the proposer's) or rejects."""
    if approve:
        changes.approve(CHANGES, ctx=ctx, change_id=change_id, reason=reason)
    else:
        changes.reject(CHANGES, ctx=ctx, change_id=change_id, reason=reason)
    return RetentionRuleChange.objects.get(pk=change_id)
