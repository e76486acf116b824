"""Policy changes that widen sight wait for a second compliance officer (ARCHITECTURE.md rule 12).

``services.change_policy``/``create_policy`` call ``propose`` when ``policies.widening`` finds anything;
another compliance officer — not the proposer, and holding none of the policy's role — approves (the change
is applied as the next version: ``policy.change_approved`` and ``policy.changed``/``policy.created``) or
rejects it (``policy.change_rejected``). A policy changed meanwhile makes the proposal stale: approving it
is refused and it must be proposed again against the current version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.access import services
from clientvault.access.models import Policy, PolicyChange
from clientvault.access.policies import MANAGE_POLICIES, VIEW, allows
from clientvault.core import catalogue_changes as changes
from clientvault.core.catalogue_changes import ChangeFlow
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied

CHANGES: ChangeFlow = ChangeFlow(
    catalogue=services.POLICIES,
    change_model=PolicyChange,
    object_type="access.policy",
    proposed_event="policy.change_proposed",
    approved_event="policy.change_approved",
    rejected_event="policy.change_rejected",
    already_waiting=_("A change to this policy is already waiting for approval."),
    stale=_("The policy changed since this was proposed; propose it again."),
    maker_is_checker=_("A second compliance officer decides a change you proposed."),
    allow_new=True,
    lowers_field="widens",
)


def propose(*, ctx: Context, code: str, base: Policy | None, cleaned: Mapping[str, Any], fields: list[str], reason: str) -> PolicyChange:
    """Record a widening change as pending (in the caller's transaction); nothing takes effect yet."""
    return changes.propose(CHANGES, ctx=ctx, code=code, base=base, cleaned=cleaned, fields=fields, reason=reason)  # type: ignore[no-any-return]


def pending(ctx: Context) -> QuerySet[PolicyChange]:
    if not allows(ctx.roles, MANAGE_POLICIES, VIEW):
        raise PermissionDenied()
    return PolicyChange.objects.filter(status=PolicyChange.Status.PENDING).select_related("proposed_by").order_by("proposed_at")


def approve(*, ctx: Context, change_id: Any, reason: str) -> Policy:
    """The second compliance officer approves: the proposed policy becomes the next version."""
    return changes.approve(CHANGES, ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[return-value]


def reject(*, ctx: Context, change_id: Any, reason: str) -> PolicyChange:
    return changes.reject(CHANGES, ctx=ctx, change_id=change_id, reason=reason)  # type: ignore[no-any-return]
