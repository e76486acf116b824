"""Policy changes that widen sight wait for a second compliance officer (ARCHITECTURE.md rule 12).

``services.change_policy``/``create_policy`` call ``propose`` when ``policies.widening`` finds anything;
another compliance officer — not the proposer, and holding none of the policy's role — approves (the change
is applied as the next version: ``policy.change_approved`` and ``policy.changed``/``policy.created``) or
rejects it (``policy.change_rejected``). A policy changed meanwhile makes the proposal stale: approving it
is refused and it must be proposed again against the current version.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.access import services
from clientvault.access.models import Policy, PolicyChange
from clientvault.access.policies import CHANGE, MANAGE_POLICIES, VIEW, allows, widening
from clientvault.core import auditing as audit
from clientvault.core import catalogue_service as catalogues
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def propose(*, ctx: Context, code: str, base: Policy | None, cleaned: Mapping[str, Any], fields: list[str], reason: str) -> PolicyChange:
    """Record a widening change as pending (in the caller's transaction); nothing takes effect yet."""
    if ctx.actor is None:
        raise PermissionDenied()
    if PolicyChange.objects.select_for_update().filter(code=code, status=PolicyChange.Status.PENDING).exists():
        raise Conflict(_("A change to this policy is already waiting for approval."))
    old = base.snapshot() if base is not None else None
    change = PolicyChange.objects.create(
        code=code,
        base_version=base.version if base is not None else None,
        proposed=dict(cleaned),
        fields=fields,
        widens=widening(old, cleaned),
        reason=reason[:300],
        proposed_by=ctx.actor,
        proposed_at=clock.now(),
    )
    detail = {"change_id": str(change.pk), "base_version": change.base_version, "widens": change.widens}
    audit.record(ctx, "policy.change_proposed", object_type="access.policy", object_id=code, fields=fields, detail=detail)
    return change


def pending(ctx: Context) -> QuerySet[PolicyChange]:
    if not allows(ctx.roles, MANAGE_POLICIES, VIEW):
        raise PermissionDenied()
    return PolicyChange.objects.filter(status=PolicyChange.Status.PENDING).select_related("proposed_by").order_by("proposed_at")


def _pending_change(ctx: Context, change_id: Any, reason: str) -> tuple[PolicyChange, str]:
    if ctx.actor is None or not allows(ctx.roles, MANAGE_POLICIES, CHANGE):
        raise PermissionDenied()
    try:
        pk = uuid.UUID(str(change_id))
    except ValueError:
        raise NotFound() from None
    change = PolicyChange.objects.select_for_update().filter(pk=pk).first()
    if change is None:
        raise NotFound()
    if change.status != PolicyChange.Status.PENDING:
        raise Conflict(_("This change was already decided."))
    if change.proposed_by_id == ctx.actor_id:
        raise PermissionDenied(_("A second compliance officer decides a change you proposed."))
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed({"reason": [_("Say why you decide so.")]})
    return change, reason


def _decided(ctx: Context, change: PolicyChange, status: str, reason: str, event: str, **detail: Any) -> None:
    change.status = status
    change.decided_by = ctx.actor
    change.decided_at = clock.now()
    change.decision_reason = reason
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    info = {"change_id": str(change.pk), "proposed_by": change.proposed_by_id, "decided_by": ctx.actor_id, **detail}
    audit.record(ctx, event, object_type="access.policy", object_id=change.code, fields=change.fields, detail=info)


@transaction.atomic
def approve(*, ctx: Context, change_id: Any, reason: str) -> Policy:
    """The second compliance officer approves: the proposed policy becomes the next version."""
    change, reason = _pending_change(ctx, change_id, reason)
    cleaned = dict(change.proposed)
    row = Policy.objects.select_for_update().filter(code=change.code).first()
    services.POLICIES.check_duties(ctx, row, cleaned)
    if (row.version if row is not None else None) != change.base_version:
        raise Conflict(_("The policy changed since this was proposed; propose it again."))
    who = {"proposed_by": change.proposed_by_id, "approved_by": ctx.actor_id}
    # The proposer's change and reason become the version; this event records it, the next the decision.
    row = catalogues.write(
        services.POLICIES,
        ctx=ctx,
        row=row,
        key=change.code,
        cleaned=cleaned,
        reason=change.reason,
        changed_by=change.proposed_by,
        detail=who,
    )
    _decided(ctx, change, PolicyChange.Status.APPROVED, reason, "policy.change_approved", version=row.version)
    return row


@transaction.atomic
def reject(*, ctx: Context, change_id: Any, reason: str) -> PolicyChange:
    change, reason = _pending_change(ctx, change_id, reason)
    _decided(ctx, change, PolicyChange.Status.REJECTED, reason, "policy.change_rejected")
    return change
