"""Default-deny querysets of the consent models (ARCHITECTURE.md rules 4 and 11).

A person reads consents through the customer they may see: staff through ``Customer.visible_to(ctx)``,
a customer in the portal only their own (``ctx.subject_ids``). Everything else is the consent app's own
system work and says so with ``unrestricted(reason=…)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from clientvault.core.querysets import GuardedQuerySet

if TYPE_CHECKING:
    from clientvault.core.context import Context


class _ThroughCustomer(GuardedQuerySet[Any]):
    customer_ref = "customer_id"

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        from clientvault.customers.models import Customer

        qs = self._mark("visible_to")
        if ctx.actor is None and ctx.subject_ids:
            return qs.filter(**{f"{self.customer_ref}__in": ctx.subject_ids})  # PIPL-45: the subject's own
        if ctx.actor is None:
            return qs.none()
        return qs.filter(Q(**{f"{self.customer_ref}__in": Customer.objects.visible_to(ctx, action).values("pk")}))


class ConsentQuerySet(_ThroughCustomer):
    pass


class ConsentRecordQuerySet(_ThroughCustomer):
    pass


class ConsentEvidenceQuerySet(_ThroughCustomer):
    customer_ref = "record__customer_id"
