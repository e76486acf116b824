"""Denied accesses (issue #11; ARCHITECTURE.md rule 11): out of scope or missing answers 404 and leaves
``access.denied`` — who asked, for which route, object type and id as given, under which purpose.

The event is written after the refused request's own transaction has rolled back, in a transaction of
its own (the same way the portal's rate-limit refusals survive). A flood of 404s must not become a
flood of audit rows: per actor and minute at most ``CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE`` events
are written; the rest are counted (``DeniedAccessWindow``) and, once the minute is over, recorded as
one ``access.denied_suppressed`` event with their count. Closed windows are flushed by the next
denied access of anyone and by the worker every minute, so the count is written even when this
process never sees another request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from clientvault.audit import recording as audit
from clientvault.audit.models import AuditEvent, DeniedAccessWindow
from clientvault.core import clock
from clientvault.core.context import Context

WINDOW = dt.timedelta(minutes=1)


def window_start(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


def actor_key(ctx: Context) -> str:
    """Whom the bound applies to: the user, else the portal's data subject, else the client address."""
    if ctx.actor_id is not None:
        return f"user:{ctx.actor_id}"
    if ctx.subject_ids:
        return f"subject:{min(ctx.subject_ids)}"
    return f"ip:{ctx.ip or '-'}"


def record_denied(ctx: Context, *, route: str, object_type: str = "", object_id: str = "", detail: Mapping[str, Any] | None = None) -> bool:
    """Record one denied access in its own transaction; False when it was only counted (over the bound)."""
    now = clock.now()
    flush(now=now)
    with transaction.atomic():
        count = _bump(ctx, window_start(now))
        if count > settings.CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE:
            return False
        audit.record(
            ctx,
            "access.denied",
            object_type=object_type,
            object_id=object_id,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"route": route, **(detail or {})},
        )
    return True


def _bump(ctx: Context, start: dt.datetime) -> int:
    key = actor_key(ctx)
    rows = DeniedAccessWindow.objects.filter(key=key, window_start=start)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                DeniedAccessWindow.objects.create(
                    key=key,
                    window_start=start,
                    count=1,
                    actor_id=ctx.actor_id,
                    actor_username=ctx.actor.get_username() if ctx.actor is not None else "",
                    role=ctx.primary_role,
                    purpose=ctx.purpose,
                    ip=ctx.ip or None,
                    channel=ctx.channel,
                )
        except IntegrityError:  # another request of the same actor created it first
            rows.update(count=F("count") + 1)
    return int(rows.values_list("count", flat=True).get())


def flush(*, now: dt.datetime | None = None) -> int:
    """Close the windows of past minutes: one ``access.denied_suppressed`` per window over the bound.

    Returns the number of suppressed events written. Each window is deleted before its event is
    written, in one transaction, so two flushers never write the same count twice.
    """
    current = window_start(now or clock.now())
    if not DeniedAccessWindow.objects.filter(window_start__lt=current).exists():
        return 0
    limit = settings.CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE
    written = 0
    for window in DeniedAccessWindow.objects.filter(window_start__lt=current).order_by("window_start", "pk")[:1000]:
        with transaction.atomic():
            deleted, _ = DeniedAccessWindow.objects.filter(pk=window.pk).delete()
            if not deleted or window.count <= limit:
                continue
            audit.record(
                _context_of(window),
                "access.denied_suppressed",
                object_type="audit.denied_access",
                outcome=AuditEvent.Outcome.DENIED,
                detail={
                    "suppressed": window.count - limit,
                    "recorded": limit,
                    "window_start": int(window.window_start.timestamp()),
                    "window_seconds": int(WINDOW.total_seconds()),
                },
                actor_username=window.actor_username,
            )
            written += 1
    return written


def _context_of(window: DeniedAccessWindow) -> Context:
    user = get_user_model().objects.filter(pk=window.actor_id).first() if window.actor_id is not None else None
    return Context(
        actor=user,  # type: ignore[arg-type]
        roles=frozenset({window.role}) if window.role else frozenset(),
        purpose=window.purpose,
        request_id=uuid.uuid4().hex,
        ip=window.ip or "",
        channel=window.channel,
    )
