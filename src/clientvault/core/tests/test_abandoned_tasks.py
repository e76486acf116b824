"""A task left running by a dead worker is marked failed; resumable ones run again (issue #11, item 4)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from clientvault.core import clock
from clientvault.core import tasks as core_tasks
from clientvault.crypto.tasks import rewrap_customer_keys

HOUR = dt.timedelta(hours=1)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_worker_is_dead_when_its_process_on_this_host_is_gone_or_it_ran_too_long_elsewhere():
    now, host = clock.now(), core_tasks._host()
    assert core_tasks.worker_is_dead(f"{host}:{_dead_pid()}:abc", now, now, host, HOUR) is True
    assert core_tasks.worker_is_dead(f"{host}:{os.getpid()}:abc", now - 2 * HOUR, now, host, HOUR) is False
    assert core_tasks.worker_is_dead("elsewhere:1:abc", now - HOUR / 2, now, host, HOUR) is False
    assert core_tasks.worker_is_dead("elsewhere:1:abc", now - 2 * HOUR, now, host, HOUR) is True
    assert core_tasks.worker_is_dead("a-random-old-style-id", now - 2 * HOUR, now, host, HOUR) is True
    assert core_tasks.worker_id().startswith(f"{host}:{os.getpid()}:") and len(core_tasks.worker_id()) <= 64


def _running(task_path: str, worker: str) -> DBTaskResult[Any, Any]:
    result = DBTaskResult.objects.get(pk=rewrap_customer_keys.enqueue().id)
    result.task_path = task_path
    result.status = TaskResultStatus.RUNNING
    result.started_at = clock.now()
    result.worker_ids = [worker]
    result.save()
    return result


@pytest.mark.django_db
def test_abandoned_tasks_are_failed_and_resumable_ones_enqueued_again(django_capture_on_commit_callbacks):
    host = core_tasks._host()
    resumable = _running("clientvault.crypto.tasks.rewrap_customer_keys", f"{host}:{_dead_pid()}:x")
    other = _running("clientvault.core.tasks.prune_task_results", f"{host}:{_dead_pid()}:y")
    alive = _running("clientvault.crypto.tasks.sweep_rewrap", f"{host}:{os.getpid()}:z")
    with django_capture_on_commit_callbacks(execute=True):
        assert core_tasks.retry_abandoned_tasks.call() == 1
    statuses = {r.pk: r.status for r in DBTaskResult.objects.all()}
    assert statuses[resumable.pk] == statuses[other.pk] == TaskResultStatus.FAILED
    assert statuses[alive.pk] == TaskResultStatus.RUNNING
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert [r.task_path for r in ready] == ["clientvault.crypto.tasks.rewrap_customer_keys"]
    assert "WorkerDied" in DBTaskResult.objects.get(pk=other.pk).exception_class_path
