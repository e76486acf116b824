"""Reads of change requests (ARCHITECTURE.md rule 1): the inbox, one's own requests, one request with its
trail and masked diff (which records ``approval.viewed``), open requests of a target, counts and SLA colour.

Lists show codes, statuses, dates and the request's one-line non-personal summary; only ``get_request``
shows values (through the change type's ``describe``, masked for the viewer) and so records its read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction
from django.db.models import QuerySet

from clientvault.approvals import registry, routing
from clientvault.approvals.models import ChangeRequest, Decision
from clientvault.approvals.registry import DiffRow
from clientvault.approvals.workdays import add_working_days
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound

SlaState = Literal["ok", "near", "overdue"]


def sla_state(request: ChangeRequest, now: dt.datetime | None = None) -> SlaState:
    """Overdue past ``due_at``; near when due within one working day; ok otherwise (or when not waiting)."""
    if request.status != ChangeRequest.Status.SUBMITTED or request.due_at is None:
        return "ok"
    at = now or clock.now()
    if at >= request.due_at:
        return "overdue"
    if request.due_at <= add_working_days(at, 1):
        return "near"
    return "ok"


def _decidable_ids(ctx: Context, rows: QuerySet[ChangeRequest]) -> list[uuid.UUID]:
    """Of the candidate rows, those this person may decide now (the checks of ``services.approve``)."""
    return [r.id for r in rows if routing.decider_step(ctx, r) is not None and routing.in_scope(ctx, r)]


def inbox(ctx: Context, *, filters: Mapping[str, Any] | None = None) -> QuerySet[ChangeRequest]:
    """Requests waiting for this person's decision now; filters: ``change_type``, ``overdue`` (bool),
    ``near_due`` (bool)."""
    if ctx.actor is None or not ctx.roles:
        return ChangeRequest.objects.visible_to(ctx).none()
    f = dict(filters or {})
    waiting = ChangeRequest.objects.visible_to(ctx).filter(status=ChangeRequest.Status.SUBMITTED).exclude(maker_id=ctx.actor.pk)
    if f.get("change_type"):
        waiting = waiting.filter(change_type=f["change_type"])
    now = clock.now()
    if f.get("overdue"):
        waiting = waiting.filter(due_at__lte=now)
    if f.get("near_due"):
        waiting = waiting.filter(due_at__gt=now, due_at__lte=add_working_days(now, 1))
    ids = _decidable_ids(ctx, waiting)
    return ChangeRequest.objects.visible_to(ctx).filter(id__in=ids).order_by("due_at", "created_at")


def mine(ctx: Context, *, status: str = "") -> QuerySet[ChangeRequest]:
    """The requests this person made, newest first; ``status="open"`` for drafts and waiting ones."""
    qs = ChangeRequest.objects.visible_to(ctx).filter(maker_id=ctx.actor_id)
    if status == "open":
        qs = qs.filter(status__in=[ChangeRequest.Status.DRAFT, *ChangeRequest.OPEN])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


@dataclass(frozen=True)
class RequestView:
    request: ChangeRequest
    decisions: list[Decision]
    diff: list[DiffRow]
    may_decide: bool
    may_withdraw: bool
    sla: SlaState
    label: str
    link: str


@transaction.atomic
def get_request(ctx: Context, request_id: uuid.UUID | str) -> RequestView:
    """One request with its decisions and the masked diff; records ``approval.viewed`` with the fields
    shown in clear. Not visible, or its target outside the viewer's scope: NotFound (rule 4)."""
    try:
        rid = uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound() from None
    request = ChangeRequest.objects.visible_to(ctx).filter(id=rid).first()
    if request is None or (request.maker_id != ctx.actor_id and not routing.in_scope(ctx, request)):
        raise NotFound()
    change_type = registry.get(request.change_type)
    pending = routing.pending(request)
    diff = list(change_type.describe(ctx, pending))
    decisions = list(Decision.objects.filter(request_id=request.id).select_related("approver").order_by("decided_at", "id"))
    audit.record(
        ctx,
        "approval.viewed",
        obj=request,
        customer_id=request.subject_id,
        fields=[row.field for row in diff if row.shown_plain],
        detail={"change_type": request.change_type},
    )
    return RequestView(
        request=request,
        decisions=decisions,
        diff=diff,
        may_decide=routing.decider_step(ctx, request) is not None,
        may_withdraw=request.maker_id == ctx.actor_id and request.status in (ChangeRequest.Status.DRAFT, ChangeRequest.Status.SUBMITTED),
        sla=sla_state(request),
        label=str(change_type.label),
        link=change_type.link(pending) if change_type.link is not None else "",
    )


@dataclass(frozen=True)
class OpenRequest:
    """A non-personal summary of an open request, for the target's own page."""

    id: uuid.UUID
    change_type: str
    field_key: str
    status: str
    summary: str
    maker_id: int
    submitted_at: dt.datetime | None
    due_at: dt.datetime | None


def open_for(target_type: str, target_id: str) -> list[OpenRequest]:
    """Open requests (draft, waiting, approved) on a target. The caller has already checked the viewer's
    sight of the target; nothing personal is returned."""
    rows = (
        ChangeRequest.objects.unrestricted(reason="summaries of a target's open requests for a viewer who sees the target")
        .filter(target_type=target_type, target_id=str(target_id), status__in=[ChangeRequest.Status.DRAFT, *ChangeRequest.OPEN])
        .order_by("created_at")
    )
    return [
        OpenRequest(r.id, r.change_type, r.field_key, r.status, r.summary, r.maker_id, r.submitted_at, r.due_at)
        for r in rows.only("id", "change_type", "field_key", "status", "summary", "maker_id", "submitted_at", "due_at")
    ]


def counts(ctx: Context) -> dict[str, int]:
    """For the home page: waiting for me (of which overdue / near due), and my open requests."""
    waiting = list(inbox(ctx))
    now = clock.now()
    states = [sla_state(r, now) for r in waiting]
    return {
        "inbox": len(waiting),
        "overdue": states.count("overdue"),
        "near_due": states.count("near"),
        "mine_open": mine(ctx, status="open").count(),
    }


def open_on_subjects(subject_ids: list[str], *, exclude_target: tuple[str, str] | None = None) -> list[OpenRequest]:
    """Open requests (draft, waiting, approved) about any of these customers, as subject or as target (issue #14:
    a merge is refused while one is open). Nothing personal is returned."""
    from django.db.models import Q

    ids = [str(i) for i in subject_ids]
    rows = ChangeRequest.objects.unrestricted(reason="a merge checks that none of its records has an open request").filter(
        Q(subject_id__in=ids) | Q(target_id__in=ids), status__in=[ChangeRequest.Status.DRAFT, *ChangeRequest.OPEN]
    )
    if exclude_target is not None:
        rows = rows.exclude(target_type=exclude_target[0], target_id=exclude_target[1])
    return [
        OpenRequest(r.id, r.change_type, r.field_key, r.status, r.summary, r.maker_id, r.submitted_at, r.due_at)
        for r in rows.order_by("created_at").only(
            "id", "change_type", "field_key", "status", "summary", "maker_id", "submitted_at", "due_at"
        )
    ]
