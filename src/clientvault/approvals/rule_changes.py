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

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.approvals.models import ApprovalRule, RuleChange
from clientvault.approvals.rule_catalogue import RULES
from clientvault.audit import recording as audit
from clientvault.core import catalogue_service as catalogues
from clientvault.core import clock
from clientvault.core.capabilities import APPROVAL_RULES, CHANGE, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def pending(ctx: Context) -> QuerySet[RuleChange]:
    """Rule changes waiting for a decision (compliance, auditors and administrators may read them)."""
    if not allows(ctx.roles, APPROVAL_RULES, VIEW):
        raise PermissionDenied()
    return RuleChange.objects.filter(status=RuleChange.Status.PENDING).select_related("proposed_by").order_by("proposed_at")


def _pending_change(ctx: Context, change_id: Any, reason: str) -> tuple[RuleChange, str]:
    if ctx.actor is None or not allows(ctx.roles, APPROVAL_RULES, CHANGE):
        raise PermissionDenied()
    try:
        pk = uuid.UUID(str(change_id))
    except ValueError:
        raise NotFound() from None
    change = RuleChange.objects.select_for_update().filter(pk=pk).first()
    if change is None:
        raise NotFound()
    if change.status != RuleChange.Status.PENDING:
        raise Conflict(_("This change was already decided."), code="already_decided")
    if change.proposed_by_id == ctx.actor_id:
        raise PermissionDenied(_("A second compliance officer decides a change you proposed."), code="maker_is_checker")
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed({"reason": [_("Say why you decide so.")]})
    return change, reason


def _decided(ctx: Context, change: RuleChange, status: str, reason: str, event: str, **detail: Any) -> None:
    change.status = status
    change.decided_by = ctx.actor
    change.decided_at = clock.now()
    change.decision_reason = reason
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    info = {"change_id": str(change.pk), "proposed_by": change.proposed_by_id, "decided_by": ctx.actor_id, **detail}
    audit.record(ctx, event, object_type="approvals.approvalrule", object_id=change.code, fields=change.fields, detail=info)


@transaction.atomic
def approve(*, ctx: Context, change_id: Any, reason: str) -> ApprovalRule:
    """The second compliance officer approves: the proposed rule becomes the next version (or version 1)."""
    change, reason = _pending_change(ctx, change_id, reason)
    row = ApprovalRule.objects.select_for_update().filter(code=change.code).first()
    if (row.version if row is not None else None) != change.base_version:
        raise Conflict(_("The approval rule changed since this was proposed; propose it again."), code="stale")
    cleaned = RULES.clean(dict(change.proposed))  # roles or change types may have gone since
    who = {"proposed_by": change.proposed_by_id, "approved_by": ctx.actor_id}
    row = catalogues.write(
        RULES, ctx=ctx, row=row, key=change.code, cleaned=cleaned, reason=change.reason, changed_by=change.proposed_by, detail=who
    )
    _decided(ctx, change, RuleChange.Status.APPROVED, reason, "approval_rule.change_approved", version=row.version)
    return row


@transaction.atomic
def reject(*, ctx: Context, change_id: Any, reason: str) -> RuleChange:
    change, reason = _pending_change(ctx, change_id, reason)
    _decided(ctx, change, RuleChange.Status.REJECTED, reason, "approval_rule.change_rejected")
    return change
