from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from django.db import models
from django.db.models import Q

from clientvault.access.policies import CUSTOMER, FOLLOWUP, VIEW, Scope, allows
from clientvault.access.querysets import PolicyQuerySet, department_filter
from clientvault.core.capabilities import ENTRY_REVIEW, EXPORT, RESTRICTED_RECORDS
from clientvault.core.querysets import GuardedQuerySet
from clientvault.customers.choices import ReviewStatus

if TYPE_CHECKING:
    from clientvault.core.context import Context

M = TypeVar("M", bound=models.Model)


def review_filter(ctx: Context, *, prefix: str = "") -> Q:
    """Review on entry (issue #13): a record pending or rejected at compliance review is seen by its creator
    and by compliance only — not by its owner's manager, risk or audit — until compliance approves it.

    A customer signed in to the portal sees their own record whatever its review (PIPL-45)."""
    if ctx.actor is None or allows(ctx.roles, ENTRY_REVIEW, VIEW):
        return Q()
    return Q(**{f"{prefix}review_status": ReviewStatus.APPROVED}) | Q(**{f"{prefix}created_by_id": ctx.actor.pk})


def lifecycle_filter(ctx: Context, action: str, *, prefix: str = "") -> Q:
    """Issue #15: an erased customer (a tombstone) is in nobody's sight. A restricted one (PIPL-47, GDPR-18: held
    for a legal duty, or restricted on request) is stored only: compliance reads it (audited as any read), never
    for a consent-based (marketing) purpose and never in an export; the subject in the portal still sees their own."""
    live = Q(**{f"{prefix}erased_at__isnull": True})
    if ctx.actor is None:
        return live
    from clientvault.access import engine

    if allows(ctx.roles, RESTRICTED_RECORDS, VIEW) and action != EXPORT and not engine.needs_consent(ctx, ctx.purpose):
        return live
    return live & Q(**{f"{prefix}restricted_at__isnull": True})


class CustomerQuerySet(PolicyQuerySet[M]):
    resource = CUSTOMER
    consent_customer_ref = "pk"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        return department_filter(ctx, scope, owner_field="owner_id", department_field="department", entity_field="legal_entity_id")

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> CustomerQuerySet[M]:
        # The base returns a clone of this queryset, so it is a CustomerQuerySet (pending_review() chains on it).
        # A record merged into another (issue #14) is lineage: in no list, search or match; read from its survivor.
        visible = (
            super()
            .visible_to(ctx, action, resource=resource)
            .filter(review_filter(ctx), lifecycle_filter(ctx, action), merged_into__isnull=True)
        )
        return cast("CustomerQuerySet[M]", visible)

    def pending_review(self) -> CustomerQuerySet[M]:
        return self.filter(review_status=ReviewStatus.PENDING)


class FollowUpQuerySet(PolicyQuerySet[M]):
    resource = FOLLOWUP
    consent_customer_ref = "customer_id"
    consent_minor_field = "customer__minor_until"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        return department_filter(
            ctx, scope, owner_field="customer__owner_id", department_field="customer__department", entity_field="customer__legal_entity_id"
        )

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> PolicyQuerySet[M]:
        return (
            super()
            .visible_to(ctx, action, resource=resource)
            .filter(review_filter(ctx, prefix="customer__"), lifecycle_filter(ctx, action, prefix="customer__"))
        )


class MatchKeyQuerySet(GuardedQuerySet[M]):
    """Duplicate-matching keys (customers/matching.py): no person reads a key row. The matcher looks keys up
    for a caller and keeps only what that caller may see; maintenance writes and deletes them, each with
    ``unrestricted(reason=…)``. So ``visible_to`` shows nothing to anyone (like portal sign-in codes)."""

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[M]:
        return self._mark("visible_to").none()
