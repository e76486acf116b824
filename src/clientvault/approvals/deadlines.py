"""The deadline work the worker runs (issue #13): remind approvers before a request falls due, escalate it
when overdue, expire it when nobody decided it in time. Each request is handled once (``reminded_at``,
``escalated_at``, the status) under a row lock, in its own transaction, with its audit event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import routing
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.workdays import add_working_days
from clientvault.audit.recording import record
from clientvault.core import clock
from clientvault.core.context import Context, system_context

REASON = "deadline work of the worker over every waiting request (no person's sight)"


def _each(candidates: Q, handle: Callable[[Context, ChangeRequest, dt.datetime], None], *, batch: int) -> int:
    ctx, now = system_context(channel="task"), clock.now()
    ids: list[uuid.UUID] = list(
        ChangeRequest.objects.unrestricted(reason=REASON).filter(candidates).order_by("due_at").values_list("id", flat=True)[:batch]
    )
    done = 0
    for rid in ids:
        with transaction.atomic():
            request = ChangeRequest.objects.unrestricted(reason=REASON).select_for_update().filter(candidates, id=rid).first()
            if request is None:  # decided or handled meanwhile
                continue
            handle(ctx, request, now)
            done += 1
    return done


def _record(ctx: Context, event_type: str, request: ChangeRequest, **detail: object) -> None:
    record(
        ctx,
        event_type,
        obj=request,
        customer_id=request.subject_id,
        detail={"change_type": request.change_type, "rule": request.rule_code, "stage": request.stage, **detail},
    )


def _remind(ctx: Context, request: ChangeRequest, now: dt.datetime) -> None:
    users = routing.eligible_users(request, routing.waiting_roles(request))
    request.reminded_at = now
    request.save(update_fields=["reminded_at"])
    _record(ctx, "approval.reminded", request, notified=len(users))
    routing.notify_on_commit(
        users, "approval.due_soon", str(_("A change request waiting for you is due soon")), routing.request_link(request)
    )


def remind_due(*, batch: int = 500) -> int:
    """Remind the approvers of requests due within one working day, once per request."""
    now = clock.now()
    soon = Q(status=ChangeRequest.Status.SUBMITTED, reminded_at__isnull=True, due_at__gt=now, due_at__lte=add_working_days(now, 1))
    return _each(soon, _remind, batch=batch)


def _escalate(ctx: Context, request: ChangeRequest, now: dt.datetime) -> None:
    rules = routing.active_rules(request.change_type)
    rule = next((r for r in rules if r.code == request.rule_code), None)
    roles = rule.escalate_to if rule is not None else []
    users = routing.eligible_users(request, roles) if roles else []  # only those who could open it (no 404)
    request.escalated_at = now
    request.save(update_fields=["escalated_at"])
    _record(ctx, "approval.escalated", request, roles=sorted(roles), notified=len(users))
    routing.notify_on_commit(users, "approval.overdue", str(_("A change request is overdue")), routing.request_link(request))


def escalate_overdue(*, batch: int = 500) -> int:
    """Tell the rule's escalation roles about requests past their due time, once per request."""
    overdue = Q(status=ChangeRequest.Status.SUBMITTED, escalated_at__isnull=True, due_at__lte=clock.now())
    return _each(overdue, _escalate, batch=batch)


def _expire(ctx: Context, request: ChangeRequest, now: dt.datetime) -> None:
    request.status, request.decided_at = ChangeRequest.Status.EXPIRED, now
    request.version += 1
    request.save(update_fields=["status", "decided_at", "version"])
    _record(ctx, "approval.expired", request)
    routing.notify_on_commit(
        [request.maker_id], "approval.expired", str(_("Your change request expired without a decision")), routing.request_link(request)
    )


def expire_stale(*, batch: int = 500) -> int:
    """Expire requests nobody decided before ``expires_at`` (drafts do not expire)."""
    stale = Q(status=ChangeRequest.Status.SUBMITTED, expires_at__lte=clock.now())
    return _each(stale, _expire, batch=batch)
