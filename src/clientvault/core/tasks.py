from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from clientvault.core import clock


@task()
def prune_task_results(days: int = 14) -> int:
    """Delete finished task results older than ``days`` (they hold ids only, never personal data)."""
    cutoff = clock.now() - dt.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    return deleted


# Tasks that are safe to run again from the start when the worker running them died (idempotent,
# resumable work). Any other task left "running" by a dead worker is marked failed, not re-run.
RESUMABLE_TASKS = frozenset(
    {
        "clientvault.crypto.tasks.rewrap_customer_keys",
        "clientvault.crypto.tasks.sweep_rewrap",
        "clientvault.crypto.tasks.finish_key_destructions",
        "clientvault.intake.tasks.run_import",  # resumes from its checkpoint (issue #14)
        "clientvault.rights.tasks.fulfil",  # each part is claimed, then done in one transaction (issue #15)
        "clientvault.risk.tasks.reevaluate_all",  # each file in one transaction; files done today are skipped (issue #16)
    }
)


class WorkerDied(Exception):
    """The worker running this task stopped without finishing it (killed, crashed, machine lost)."""


def worker_id() -> str:
    """``host:pid:random`` — a later worker on the same host can tell whether this one still lives."""
    import os

    from django.utils.crypto import get_random_string

    return f"{_host()}:{os.getpid()}:{get_random_string(12)}"


def _host() -> str:
    import socket

    return socket.gethostname()[:40]  # django-tasks-db limits worker ids to 64 characters


def worker_is_dead(worker: str, started_at: dt.datetime | None, now: dt.datetime, host: str, give_up_after: dt.timedelta) -> bool:
    """Pure but for the process check: a worker on this host whose process is gone is dead; a worker
    elsewhere (or of unknown form) is presumed dead once its task has run longer than ``give_up_after``."""
    import os

    parts = worker.split(":")
    if len(parts) == 3 and parts[0] == host and parts[1].isdigit():
        try:
            os.kill(int(parts[1]), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return started_at is not None and now - started_at >= give_up_after


def _enqueue_again(task_path: str, args_kwargs: dict[str, Any]) -> None:
    import_string(task_path).enqueue(*args_kwargs["args"], **args_kwargs["kwargs"])


@task()
def retry_abandoned_tasks() -> int:
    """Tasks left "running" by a worker that died: mark them failed and enqueue resumable ones again.

    django-tasks-db marks a claimed task RUNNING with the claiming worker's id and has no heartbeat, so
    a task whose worker was killed stays RUNNING forever and nothing resumes it."""
    from django.conf import settings
    from django.db import transaction
    from django_tasks.base import TaskResultStatus

    now = clock.now()
    host = _host()
    give_up_after = dt.timedelta(seconds=settings.CLIENTVAULT_TASK_ABANDONED_SECONDS)
    retried = 0
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        last_worker = result.worker_ids[-1] if result.worker_ids else ""
        if not worker_is_dead(last_worker, result.started_at, now, host, give_up_after):
            continue
        with transaction.atomic():
            locked = DBTaskResult.objects.select_for_update().filter(pk=result.pk, status=TaskResultStatus.RUNNING).first()
            if locked is None:
                continue
            locked.set_failed(WorkerDied(f"worker {last_worker} died while running this task"))
            if locked.task_path in RESUMABLE_TASKS:
                transaction.on_commit(functools.partial(_enqueue_again, locked.task_path, locked.args_kwargs))
                retried += 1
    return retried


@task()
def sequence_events() -> int:
    """Give committed outbox events their feed positions (the consent change feed pages by them)."""
    from clientvault.core import events

    return events.sequence()
