"""The default manager of every credit-risk model: default deny, scoped through the customer (rules 4 and 11).

A credit file, its limits, terms, scores, holds, reviews and warnings are reached as the customer is for the
``credit`` resource: the owner (OWN), the customer's department subtree (SUBTREE) or the legal entity (ENTITY),
for a purpose a policy grants; restricted and erased customers and those still waiting for entry review follow
the customer's own rules. Models other than ``CreditFile`` reach the customer through ``credit_file``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from clientvault.access.policies import CREDIT, Scope
from clientvault.access.querysets import PolicyQuerySet, department_filter
from clientvault.customers.querysets import lifecycle_filter, review_filter

if TYPE_CHECKING:
    from clientvault.core.context import Context


class CreditQuerySet(PolicyQuerySet[Any]):
    """Rows of a credit file (limits, terms, scores, holds, reviews, warnings): through ``credit_file``."""

    resource = CREDIT
    customer_path = "credit_file__customer__"
    entity_field = "credit_file__legal_entity_id"
    consent_customer_ref = "credit_file__customer_id"
    consent_minor_field = "credit_file__customer__minor_until"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        path = self.customer_path
        return department_filter(
            ctx, scope, owner_field=path + "owner_id", department_field=path + "department", entity_field=self.entity_field
        )

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> PolicyQuerySet[Any]:
        path = self.customer_path
        qs = super().visible_to(ctx, action, resource=resource).filter(lifecycle_filter(ctx, action, prefix=path))
        review = review_filter(ctx, prefix=path)
        return qs if not review else qs.filter(review)


class CreditFileQuerySet(CreditQuerySet):
    """The credit file itself: through its ``customer``."""

    customer_path = "customer__"
    entity_field = "legal_entity_id"
    consent_customer_ref = "customer_id"
    consent_minor_field = "customer__minor_until"
