"""Template context for the frame: the bell's unread count (issue #13)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clientvault.core import notifications


def attention(request: HttpRequest) -> dict[str, Any]:
    ctx = getattr(request, "cv_ctx", None)
    if ctx is None or ctx.actor is None:
        return {}
    return {"bell_unread": notifications.unread_count(ctx.actor.pk)}
