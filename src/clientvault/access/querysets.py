"""Default-deny queryset of break-glass sessions (ARCHITECTURE.md rules 4 and 11).

A window's reason may name the customer it was opened for. A person sees their own windows; compliance
and audit (who may view policies) see every window (the break-glass log). The scheduler's expiry and the
notification task say why they read all rows with ``unrestricted(reason=…)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clientvault.access.policies import MANAGE_POLICIES, VIEW, allows
from clientvault.core.querysets import GuardedQuerySet

if TYPE_CHECKING:
    from clientvault.context import Context


class BreakGlassSessionQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        qs = self._mark("visible_to")
        if ctx.actor is None:
            return qs.none()
        if action == VIEW and allows(ctx.roles, MANAGE_POLICIES, VIEW):
            return qs
        return qs.filter(user_id=ctx.actor.pk)
