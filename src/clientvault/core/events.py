"""Domain events for integrations: written to an outbox in the transaction of the change they announce.

``publish`` adds an ``OutboxEvent`` row (ids and codes only, like audit details: never personal data) and,
after commit, hands it to in-process subscribers (ARCHITECTURE.md rule 8). Integrations that live
outside the process read the outbox in order (``GET /api/v1/events``); webhooks will deliver from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection, transaction

from clientvault.context import Context
from clientvault.core import clock

logger = logging.getLogger(__name__)
Subscriber = Callable[[Any], None]
_subscribers: list[tuple[str, Subscriber]] = []
TOPICS = frozenset({"consent.changed", "notice.published"})


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
    from clientvault.audit.services import _check_detail
    from clientvault.core.models import OutboxEvent

    if topic not in TOPICS:
        raise LookupError(f"event topic {topic!r} is not registered")
    if not connection.in_atomic_block:
        raise RuntimeError("events.publish must run inside the transaction of the change it announces")
    event = OutboxEvent.objects.create(topic=topic, payload=_check_detail(payload), occurred_at=clock.now(), request_id=ctx.request_id)
    transaction.on_commit(lambda: _deliver(event))
    return event
