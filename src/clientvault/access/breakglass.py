"""Break-glass (紧急访问): time-boxed elevation under the ``break_glass`` purpose (ARCHITECTURE.md rule 3).

Only roles with a policy rule for the purpose may open it; it needs a reason, lasts at most
``CLIENTVAULT_BREAK_GLASS_MAX_MINUTES``, ends by itself, and every compliance officer is told by e-mail
after commit. Every read under it carries ``purpose=break_glass`` in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from clientvault.access import engine
from clientvault.access.models import BreakGlassSession
from clientvault.access.policies import BREAK_GLASS
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context, system_context
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed

log = logging.getLogger(__name__)
MIN_REASON = 15


def active_session(ctx: Context) -> BreakGlassSession | None:
    """The actor's own open window, if any."""
    if ctx.actor is None:
        return None
    rows = BreakGlassSession.objects.visible_to(ctx).filter(user_id=ctx.actor.pk, ended_at__isnull=True, expires_at__gt=clock.now())
    return rows.first()


@transaction.atomic
def start(*, ctx: Context, reason: str, minutes: int) -> BreakGlassSession:
    """Open a break-glass window for the actor; audited, compliance notified after commit."""
    if ctx.actor is None or not engine.may_break_glass(ctx):
        raise PermissionDenied()
    reason = " ".join((reason or "").split())
    errors: dict[str, list[Any]] = {}
    if len(reason) < MIN_REASON or len(reason) > 500:
        errors["reason"] = [_("Say in at least 15 characters why you need emergency access.")]
    limit = settings.CLIENTVAULT_BREAK_GLASS_MAX_MINUTES
    if not 1 <= minutes <= limit:
        errors["minutes"] = [_("Choose between 1 and %(limit)d minutes.") % {"limit": limit}]
    if errors:
        raise ValidationFailed(errors)
    # One open window per person: lock the user's open rows, then check.
    open_rows = BreakGlassSession.objects.visible_to(ctx).select_for_update().filter(user_id=ctx.actor.pk, ended_at__isnull=True)
    now = clock.now()
    for row in open_rows:
        if row.expires_at > now:
            raise Conflict(_("Emergency access is already active."))
        _close(ctx, row, "expired", now)
    session = BreakGlassSession.objects.create(
        user=ctx.actor, reason=reason, started_at=now, expires_at=now + dt.timedelta(minutes=minutes)
    )
    audit.record(ctx.with_purpose(BREAK_GLASS), "breakglass.started", obj=session, detail={"minutes": minutes})
    session_id = str(session.pk)
    transaction.on_commit(lambda: notify_compliance.enqueue(session_id))
    return session


def _close(ctx: Context, row: BreakGlassSession, cause: str, now: dt.datetime) -> None:
    row.ended_at = min(now, row.expires_at) if cause == "expired" else now
    row.end_cause = cause
    row.save(update_fields=["ended_at", "end_cause"])
    used = int((row.ended_at - row.started_at).total_seconds())
    audit.record(ctx.with_purpose(BREAK_GLASS), "breakglass.ended", obj=row, detail={"cause": cause, "seconds": used})


@transaction.atomic
def end(*, ctx: Context, cause: str = "ended") -> bool:
    """Close the actor's own window (``cause``: ended by the user, or revoked when the policy no longer
    allows it); False if none was open. A window past its time is recorded as expired."""
    if ctx.actor is None:
        raise PermissionDenied()
    row = BreakGlassSession.objects.visible_to(ctx).select_for_update().filter(user_id=ctx.actor.pk, ended_at__isnull=True).first()
    if row is None:
        return False
    now = clock.now()
    _close(ctx, row, "expired" if row.expires_at <= now else cause, now)
    return True


@transaction.atomic
def expire_due() -> int:
    """Close every window whose time is up (scheduled; also done lazily on the user's next request)."""
    ctx = system_context(channel="task")
    due = BreakGlassSession.objects.unrestricted(reason="the schedule closes every window whose time is up, whoever opened it")
    rows = list(due.select_for_update(skip_locked=True).filter(ended_at__isnull=True, expires_at__lte=clock.now()))
    for row in rows:
        _close(ctx, row, "expired", clock.now())
    return len(rows)


@task()
def expire_break_glass() -> int:
    return expire_due()


@task()
def notify_compliance(session_id: str) -> int:
    """E-mail every active compliance officer that emergency access began (no customer data in it)."""
    from clientvault.accounts.models import User
    from clientvault.core import roles as R

    sessions = BreakGlassSession.objects.unrestricted(reason="the worker tells compliance about the window just opened")
    row = sessions.select_related("user").filter(pk=session_id).first()
    if row is None:
        return 0
    recipients = list(
        User.objects.filter(is_active=True, roles__code=R.COMPLIANCE_OFFICER).exclude(email="").values_list("email", flat=True).distinct()
    )
    if not recipients:
        log.warning("break-glass %s started but no compliance officer has an e-mail address", session_id)
        return 0
    subject = f"[clientvault] 紧急访问已开启 / Break-glass access started: {row.user.username}"
    body = (
        f"用户 / User: {row.user.username}\n"
        f"开始 / Started: {row.started_at:%Y-%m-%d %H:%M %Z}\n"
        f"到期 / Expires: {row.expires_at:%Y-%m-%d %H:%M %Z}\n"
        f"事由 / Reason: {row.reason}\n"
    )
    return send_mail(subject, body, None, recipients)
