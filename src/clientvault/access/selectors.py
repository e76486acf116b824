"""Reads of the access app that reveal personal data: the break-glass log (reasons often name a customer)."""

from __future__ import annotations

from django.db import transaction

from clientvault.access.models import BreakGlassSession
from clientvault.access.policies import MANAGE_POLICIES, VIEW, allows
from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.core.errors import NotFound

LOG_ROWS = 200


@transaction.atomic
def break_glass_log(ctx: Context) -> list[BreakGlassSession]:
    """Every break-glass window (who, why, how long, how it ended) for compliance and audit; audited."""
    if not allows(ctx.roles, MANAGE_POLICIES, VIEW):
        raise NotFound()
    rows = list(BreakGlassSession.objects.visible_to(ctx).select_related("user")[:LOG_ROWS])
    audit.record(ctx, "breakglass.log_viewed", object_type="access.breakglasssession", detail={"rows": len(rows)})
    return rows
