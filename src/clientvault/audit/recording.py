"""Write audit events. Called by services and selectors inside their own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models

from clientvault.audit import registry
from clientvault.audit.models import AuditEvent
from clientvault.core import bulk, clock
from clientvault.core.context import Context
from clientvault.core.details import check_detail


def _event(
    ctx: Context,
    event_type: str,
    *,
    obj: models.Model | None,
    object_type: str,
    object_id: str,
    customer_id: uuid.UUID | None,
    fields: Iterable[str],
    outcome: str,
    detail: Mapping[str, Any] | None,
    actor_username: str | None,
) -> AuditEvent:
    registry.get(event_type)  # unknown types fail the action
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    actor = ctx.actor
    return AuditEvent(
        occurred_at=clock.now(),
        actor=actor,
        actor_username=actor_username if actor_username is not None else (actor.get_username() if actor else ""),
        role=ctx.primary_role,
        purpose=ctx.purpose,
        request_id=ctx.request_id,
        ip=ctx.ip or None,
        channel=ctx.channel,
        event_type=event_type,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        fields=sorted(set(fields)),
        outcome=outcome,
        detail=check_detail(detail or {}),
    )


def record(
    ctx: Context,
    event_type: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    customer_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    outcome: str = AuditEvent.Outcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
    actor_username: str | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction; if it cannot be written, the action fails."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the action it records")
    event = _event(
        ctx,
        event_type,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        fields=fields,
        outcome=outcome,
        detail=detail,
        actor_username=actor_username,
    )
    event.save(force_insert=True)
    return event


EachEvent = tuple[str, models.Model | None, str, str, uuid.UUID | None, Mapping[str, Any]]


def record_each(ctx: Context, events: Iterable[EachEvent]) -> list[AuditEvent]:
    """Record one event per (type, object, object type, object id, customer id, detail) in a single bulk insert and
    return them (their ``event_id`` for a certificate): a batch whose events differ in detail (lifecycle/batch.py)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_each must run inside the transaction of the action it records")
    rows = [
        _event(
            ctx,
            event_type,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            customer_id=customer_id,
            fields=(),
            outcome=AuditEvent.Outcome.SUCCESS,
            detail=detail,
            actor_username=None,
        )
        for event_type, obj, object_type, object_id, customer_id, detail in events
    ]
    bulk.insert(AuditEvent, rows)
    return rows


def record_many(
    ctx: Context, events: Iterable[tuple[str, models.Model, uuid.UUID | None, Iterable[str]]], *, detail: Mapping[str, Any] | None = None
) -> int:
    """Record one event per (type, object, customer id, fields) in a single bulk insert; ``detail`` (no personal
    values: ids, codes, counts) is the same on every event, such as the import batch the customers came from."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the transaction of the action it records")
    rows = [
        _event(
            ctx,
            event_type,
            obj=obj,
            object_type="",
            object_id="",
            customer_id=customer_id,
            fields=fields,
            outcome=AuditEvent.Outcome.SUCCESS,
            detail=detail,
            actor_username=None,
        )
        for event_type, obj, customer_id, fields in events
    ]
    bulk.insert(AuditEvent, rows)
    return len(rows)
