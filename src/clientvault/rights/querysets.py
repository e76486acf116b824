"""Default-deny queryset of portal sign-in codes (ARCHITECTURE.md rules 4 and 11).

No person reads a code row: the sign-in service matches a code for someone not yet known, the worker
sends and blanks the message, the schedule purges old rows, each with ``unrestricted(reason=…)``. So
``visible_to`` shows nothing to anyone, staff or customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clientvault.core.querysets import GuardedQuerySet

if TYPE_CHECKING:
    from clientvault.core.context import Context


class PortalCodeQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        return self._mark("visible_to").none()
