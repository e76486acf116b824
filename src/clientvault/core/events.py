"""Domain events for integrations: written to an outbox in the transaction of the change they announce.

``publish`` adds an ``OutboxEvent`` row (ids and codes only, like audit details: never personal data) and,
after commit, hands it to in-process subscribers (ARCHITECTURE.md rule 8). Integrations that live
outside the process read the outbox in order (``GET /api/v1/consents/events``); webhooks will deliver from it.

The order is the feed position ``seq``, not the id: ``sequence`` (the worker runs it, and the feed before
it reads) gives every committed event without one the next position, serialised like the audit sealer
(a PostgreSQL advisory lock; SQLite serialises writers anyway). An event whose transaction commits late
gets a position after those already handed out, so a reader's cursor can never have passed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.details import check_detail

logger = logging.getLogger(__name__)
Subscriber = Callable[[Any], None]
_subscribers: list[tuple[str, Subscriber]] = []
TOPICS = frozenset({"consent.changed", "notice.published"})
_ADVISORY_LOCK = 0x63766671  # "cvfq": one sequencer at a time
SEQUENCE_BATCH = 1000


def subscribe(prefix: str, handler: Subscriber) -> Callable[[], None]:
    """Call ``handler(event)`` after commit for every event whose topic starts with ``prefix``; returns an
    unsubscribe function."""
    entry = (prefix, handler)
    _subscribers.append(entry)
    return lambda: _subscribers.remove(entry) if entry in _subscribers else None


def _deliver(event: Any) -> None:
    for prefix, handler in list(_subscribers):
        if event.topic.startswith(prefix):
            try:
                handler(event)
            except Exception:  # a subscriber's failure never undoes a committed change
                logger.exception("event subscriber failed for %s #%s", event.topic, event.pk)


def publish(ctx: Context, topic: str, payload: Mapping[str, Any]) -> Any:
    """Record ``topic`` with ``payload`` in the caller's transaction; subscribers hear of it after commit."""
    from clientvault.core.models import OutboxEvent

    if topic not in TOPICS:
        raise LookupError(f"event topic {topic!r} is not registered")
    if not connection.in_atomic_block:
        raise RuntimeError("events.publish must run inside the transaction of the change it announces")
    event = OutboxEvent.objects.create(topic=topic, payload=check_detail(payload), occurred_at=clock.now(), request_id=ctx.request_id)
    transaction.on_commit(lambda: _deliver(event))
    return event


def _lock(*, wait: bool) -> bool:
    """Take the sequencer's lock for this transaction; without ``wait``, False when another run holds it."""
    if connection.vendor != "postgresql":
        return True  # SQLite: transactions here are IMMEDIATE, writers are serialised already
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        row = cursor.fetchone()
        return bool(row and row[0])


def sequence(*, wait: bool = True, batch: int = SEQUENCE_BATCH) -> int:
    """Give every committed event without a feed position the next ones, in id order; returns how many.

    Each batch is one transaction under the lock: it continues after the highest position handed out, so
    positions only grow and an event that commits after a reader's cursor is placed after that cursor.
    """
    from clientvault.core.models import OutboxEvent

    done = 0
    while True:
        with transaction.atomic():
            if not _lock(wait=wait):
                return done
            pending = list(OutboxEvent.objects.filter(seq__isnull=True).order_by("id").values_list("pk", flat=True)[:batch])
            if not pending:
                return done
            last = OutboxEvent.objects.aggregate(last=Max("seq"))["last"] or 0
            for position, pk in enumerate(pending, start=last + 1):
                OutboxEvent.objects.filter(pk=pk, seq__isnull=True).update(seq=position)
            done += len(pending)
        if len(pending) < batch:
            return done


def consume(name: str, prefix: str, handler: Subscriber, *, batch: int = SEQUENCE_BATCH) -> int:
    """Hand ``handler`` every sequenced event of ``prefix`` past consumer ``name``'s cursor, in feed order.

    The durable path beside the after-commit delivery (which a crash between commit and callback loses): each
    event's handling and the cursor's advance commit together, so nothing is skipped and nothing is handled twice
    by this path. Handlers must be idempotent, since the after-commit delivery may have run them already.
    Returns how many events were handled."""
    from clientvault.core.models import FeedCursor, OutboxEvent

    sequence()
    done = 0
    while True:
        with transaction.atomic():
            cursor, _ = FeedCursor.objects.select_for_update().get_or_create(name=name)
            events = list(OutboxEvent.objects.filter(seq__gt=cursor.seq).order_by("seq")[:batch])
            for event in events:
                if event.topic.startswith(prefix):
                    handler(event)
                    done += 1
            if events:
                cursor.seq = events[-1].seq or cursor.seq
                cursor.save(update_fields=["seq"])
        if len(events) < batch:
            return done
