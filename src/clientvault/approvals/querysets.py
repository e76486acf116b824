"""The default-deny queryset of change requests (ARCHITECTURE.md rules 4 and 11).

A request carries sealed personal values, so its default manager refuses an unscoped query. A person sees:
their own requests (as maker); the requests of their legal entity whose plan names a role they hold (they
may be asked to decide them); and, for compliance and audit, every request of their legal entity. The
change type's ``in_scope`` (the target's data scope) is applied on top by the selectors, in Python: it is
the owning app's rule and cannot be expressed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from clientvault.core import roles as R
from clientvault.core.querysets import GuardedQuerySet

if TYPE_CHECKING:
    from clientvault.core.context import Context

# Roles that see every request of their legal entity (oversight; read only unless the plan names them).
OVERSIGHT_ROLES = (R.COMPLIANCE_OFFICER, R.AUDITOR)


def actor_legal_entity_id(ctx: Context) -> Any:
    actor = ctx.actor
    if actor is None or actor.department_id is None:
        return None
    return actor.department.legal_entity_id if actor.department is not None else None


class ChangeRequestQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        qs = self._mark("visible_to")
        if ctx.actor is None or not ctx.actor.is_active:
            return qs.none()
        own = Q(maker_id=ctx.actor.pk)
        entity = actor_legal_entity_id(ctx)
        if entity is None:
            return qs.filter(own)
        # A draft is the maker's alone until submitted.
        others = Q(legal_entity_id=entity) & ~Q(status="draft")
        if ctx.has_role(*OVERSIGHT_ROLES):
            return qs.filter(own | others)
        planned = Q()
        for role in sorted(ctx.roles):
            planned |= Q(plan_roles__contains=f",{role},")
        if not ctx.roles:
            return qs.filter(own)
        return qs.filter(own | (others & planned))
