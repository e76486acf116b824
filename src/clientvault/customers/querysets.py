from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from clientvault.access.policies import CUSTOMER, FOLLOWUP, Scope
from clientvault.access.querysets import PolicyQuerySet, department_filter

if TYPE_CHECKING:
    from clientvault.core.context import Context


class CustomerQuerySet(PolicyQuerySet[Any]):
    resource = CUSTOMER
    consent_customer_ref = "pk"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        return department_filter(ctx, scope, owner_field="owner_id", department_field="department", entity_field="legal_entity_id")


class FollowUpQuerySet(PolicyQuerySet[Any]):
    resource = FOLLOWUP
    consent_customer_ref = "customer_id"
    consent_minor_field = "customer__minor_until"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        return department_filter(
            ctx, scope, owner_field="customer__owner_id", department_field="customer__department", entity_field="customer__legal_entity_id"
        )
