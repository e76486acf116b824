"""Template context for the frame (issue #13): the bell's unread count and the 待审批 count in the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clientvault.access.policies import VIEW, allows
from clientvault.approvals import selectors as approvals
from clientvault.core import notifications
from clientvault.core.capabilities import APPROVALS
from clientvault.core.context import Context
from clientvault.core.errors import DomainError


def attention(request: HttpRequest) -> dict[str, Any]:
    ctx = getattr(request, "cv_ctx", None)
    if ctx is None or ctx.actor is None:
        return {}
    return {"bell_unread": notifications.unread_count(ctx.actor.pk), "approvals_waiting": _waiting(ctx)}


def _waiting(ctx: Context) -> int:
    """The 待审批 count. Whether a request is one's to decide depends on sight of its target, which needs a
    declared purpose: without one (the purpose picker itself) there is no count, and the frame never raises."""
    if not ctx.purpose or not allows(ctx.roles, APPROVALS, VIEW):
        return 0
    try:
        return approvals.inbox(ctx).count()
    except DomainError:
        return 0
