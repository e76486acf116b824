"""The default manager of ``Asset``: default deny, scoped through the customer like follow-ups (rule 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from clientvault.access.policies import ASSET, Scope
from clientvault.access.querysets import PolicyQuerySet, department_filter
from clientvault.customers.querysets import lifecycle_filter, review_filter

if TYPE_CHECKING:
    from clientvault.core.context import Context


class AssetQuerySet(PolicyQuerySet[Any]):
    """Assets the actor may act on: the customer's owner (OWN), the customer's department subtree (SUBTREE) or
    the asset's legal entity (ENTITY, which includes the institution's clearing accounts)."""

    resource = ASSET
    consent_customer_ref = "customer_id"
    consent_minor_field = "customer__minor_until"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        return department_filter(
            ctx, scope, owner_field="customer__owner_id", department_field="customer__department", entity_field="legal_entity_id"
        )

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> PolicyQuerySet[Any]:
        """An asset follows its customer's review on entry (issue #13): while the customer waits for compliance
        review (or was rejected) only its creator and compliance see its assets. Clearing accounts have no customer."""
        review = review_filter(ctx, prefix="customer__")
        qs = super().visible_to(ctx, action, resource=resource)
        qs = qs.filter(lifecycle_filter(ctx, action, prefix="customer__") | Q(customer__isnull=True))  # issue #15: restricted/erased
        return qs if not review else qs.filter(review | Q(customer__isnull=True))
