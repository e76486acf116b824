"""Default-deny queryset of portal sign-in codes (ARCHITECTURE.md rules 4 and 11).

No person reads a code row: the sign-in service matches a code for someone not yet known, the worker
sends and blanks the message, the schedule purges old rows, each with ``unrestricted(reason=…)``. So
``visible_to`` shows nothing to anyone, staff or customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from clientvault.core.querysets import GuardedQuerySet

if TYPE_CHECKING:
    from clientvault.core.context import Context


class PortalCodeQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        return self._mark("visible_to").none()


# Roles that see every data-subject request of their legal entity: compliance decides them, auditors read
# their metadata (contract.md RIGHTS_REQUESTS). Sales reps and managers see the requests they logged.
OVERSIGHT_ROLES = ("compliance_officer", "auditor")


def _entity_of(ctx: Context) -> Any:
    actor = ctx.actor
    if actor is None or actor.department_id is None or actor.department is None:
        return None
    return actor.department.legal_entity_id


def request_filter(ctx: Context, prefix: str = "") -> Q | None:
    """What a person may see of requests (None: nothing): the portal subject their own, oversight their legal
    entity's, anyone else the ones they logged."""
    if ctx.subject_ids and ctx.actor is None:
        return Q(**{f"{prefix}subject_id__in": sorted(ctx.subject_ids)})
    if ctx.actor is None or not ctx.actor.is_active:
        return None
    own = Q(**{f"{prefix}created_by_id": ctx.actor.pk})
    entity = _entity_of(ctx)
    if entity is not None and ctx.has_role(*OVERSIGHT_ROLES):
        return own | Q(**{f"{prefix}legal_entity_id": entity})
    if ctx.has_role("sales_rep", "sales_manager"):
        seen = customers_in_sight(ctx)
        return None if seen is None else own & Q(**{f"{prefix}customer_id__in": seen})
    return None


def customers_in_sight(ctx: Context) -> Any:
    """The customers the person sees now under their purpose (a subquery; None without one): who logged a request
    keeps it only while the customer is theirs to see — a restriction (PIPL-47) or a reassignment ends it."""
    from clientvault.core.errors import DomainError
    from clientvault.customers.models import Customer

    try:
        return Customer.objects.visible_to(ctx).values("pk")
    except DomainError:
        return None


class RightsRequestQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        qs = self._mark("visible_to")
        found = request_filter(ctx)
        return qs.none() if found is None else qs.filter(found)


class RequestPartQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        qs = self._mark("visible_to")
        found = request_filter(ctx, prefix="request__")
        return qs.none() if found is None else qs.filter(found)
