"""Changes that weaken the approval rules wait for a second compliance officer (ARCHITECTURE.md rule 12).

The approval rules decide who must look at a change; a compliance officer who could alone remove a step,
narrow a rule's conditions, raise its supervisor threshold or deactivate it would be deciding on their own
that the next changes need fewer eyes. ``rule_catalogue.change_rule``/``create_rule`` therefore call
``rule_catalogue.propose`` (through the catalogue's ``widening`` hook) when ``rules.weakens`` finds a guarding field;
another compliance officer approves (``approval_rule.change_approved``, then the rule's next version is
written as the proposer's: ``approval_rule.changed``/``created``) or rejects it
(``approval_rule.change_rejected``). A rule changed meanwhile makes the proposal stale: approving it is
refused and it must be proposed again.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from clientvault.approvals.models import ApprovalRule, RuleChange
from clientvault.approvals.rule_catalogue import CHANGES
from clientvault.core import catalogue_changes as changes
from clientvault.core.capabilities import APPROVAL_RULES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied


def pending(ctx: Context) -> QuerySet[RuleChange]:
    """Rule changes waiting for a decision (compliance, auditors and administrators may read them)."""
    if not allows(ctx.roles, APPROVAL_RULES, VIEW):
        raise PermissionDenied()
    return RuleChange.objects.filter(status=RuleChange.Status.PENDING).select_related("proposed_by").order_by("proposed_at")


def approve(*, ctx: Context, change_id: Any, reason: str) -> ApprovalRule:
    """The second compliance officer approves: the proposed rule becomes the next version (or version 1)."""
    return changes.approve(CHANGES, ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[return-value]


def reject(*, ctx: Context, change_id: Any, reason: str) -> RuleChange:
    return changes.reject(CHANGES, ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[no-any-return]
