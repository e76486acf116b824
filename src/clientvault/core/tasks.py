from __future__ import annotations

import datetime as dt

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from clientvault.core import clock


@task()
def prune_task_results(days: int = 14) -> int:
    """Delete finished task results older than ``days`` (they hold ids only, never personal data)."""
    cutoff = clock.now() - dt.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def sequence_events() -> int:
    """Give committed outbox events their feed positions (the consent change feed pages by them)."""
    from clientvault.core import events

    return events.sequence()
