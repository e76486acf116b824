"""Template context for the frame (issue #13): the bell's unread count and the 待审批 count in the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clientvault.access.policies import VIEW, allows
from clientvault.approvals import selectors as approvals
from clientvault.core import notifications
from clientvault.core.capabilities import APPROVALS


def attention(request: HttpRequest) -> dict[str, Any]:
    ctx = getattr(request, "cv_ctx", None)
    if ctx is None or ctx.actor is None:
        return {}
    waiting = approvals.inbox(ctx).count() if allows(ctx.roles, APPROVALS, VIEW) else 0
    return {"bell_unread": notifications.unread_count(ctx.actor.pk), "approvals_waiting": waiting}
