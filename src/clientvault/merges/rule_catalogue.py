"""The survivorship rules as a versioned catalogue (ARCHITECTURE.md rules 9 and 12; issue #14).

Every change is a new version with its reason and one audit event, through the kernel's
``core.catalogue_service``. The rules decide whose data becomes a merged customer's record, so no change takes
effect on one person's word: ``change_rule`` records a proposal (``survivorship.change_proposed``) and a second
compliance officer approves it (``survivorship.change_approved``, then the rule's next version, written as the
proposer's: ``survivorship.changed``) or rejects it. A rule changed meanwhile makes the proposal stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.core import catalogue_changes as changes
from clientvault.core import catalogue_service as catalogues
from clientvault.core.capabilities import SURVIVORSHIP_RULES
from clientvault.core.catalogue_changes import ChangeFlow
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.customers.choices import Source
from clientvault.merges.models import Rule, SurvivorshipChange, SurvivorshipRule


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole rule: a known rule, a trust order of known sources (each once), a short description."""
    errors: dict[str, list[Any]] = {}
    rule = str(data.get("rule") or "")
    if rule not in Rule.values:
        errors["rule"] = [_("Choose a survivorship rule.")]
    order = [str(s).strip() for s in (data.get("source_order") or []) if str(s).strip()]
    if any(s not in Source.values for s in order) or len(set(order)) != len(order):
        errors["source_order"] = [_("List each customer source at most once.")]
    description = " ".join(str(data.get("description") or "").split())
    if len(description) > 300:
        errors["description"] = [_("Use at most %(n)d characters.") % {"n": 300}]
    if errors:
        raise ValidationFailed(errors)
    return {"rule": rule, "source_order": order, "description": description}


def _every_change(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Rule 12: any change of whose value survives a merge is a second person's decision."""
    return sorted(k for k in after if before is None or before.get(k) != after[k])


RULES = Catalogue(
    model=SurvivorshipRule,
    capability=SURVIVORSHIP_RULES,
    changed_event="survivorship.changed",
    reason_missing=_("Say why the survivorship rule changes."),
    clean=clean,
    widening=_every_change,
    propose=lambda **kw: changes.propose(CHANGES, **kw),
)

CHANGES: ChangeFlow = ChangeFlow(
    catalogue=RULES,
    change_model=SurvivorshipChange,
    object_type="merges.survivorshiprule",
    proposed_event="survivorship.change_proposed",
    approved_event="survivorship.change_approved",
    rejected_event="survivorship.change_rejected",
    already_waiting=_("A change to this survivorship rule is already waiting for approval."),
    stale=_("The survivorship rule changed since this was proposed; propose it again."),
    maker_is_checker=_("A second compliance officer decides a change you proposed."),
    key_field="field",
)


def change_rule(*, ctx: Context, field: str, data: Mapping[str, Any], reason: str) -> SurvivorshipRule | SurvivorshipChange:
    """Propose a new version of a field's rule, for a second compliance officer to decide."""
    return catalogues.save_version(RULES, ctx=ctx, key=field, data=data, reason=reason)  # type: ignore[no-any-return]


def approve(*, ctx: Context, change_id: Any, reason: str) -> SurvivorshipRule:
    """The second compliance officer approves: the proposed rule becomes the next version."""
    return changes.approve(CHANGES, ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[return-value]


def reject(*, ctx: Context, change_id: Any, reason: str) -> SurvivorshipChange:
    return changes.reject(CHANGES, ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[no-any-return]
