"""The periodic schedule the worker keeps: which task, how often.

Each entry is enqueued at most once per interval across all workers (row lock on ScheduledJob).
Apps add entries as capabilities land (audit sealing, retention, monitoring …).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from clientvault.core import clock
from clientvault.core.models import ScheduledJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    task_path: str
    every: dt.timedelta


SCHEDULE: tuple[Entry, ...] = (
    Entry("clientvault.accounts.tasks.purge_expired_sessions", dt.timedelta(hours=1)),
    Entry("clientvault.core.tasks.prune_task_results", dt.timedelta(days=1)),
    Entry("clientvault.access.breakglass.expire_break_glass", dt.timedelta(minutes=1)),
    Entry("clientvault.audit.tasks.seal_full_sweep", dt.timedelta(hours=1)),
    Entry("clientvault.audit.tasks.archive_expired_events", dt.timedelta(days=1)),
    Entry("clientvault.audit.tasks.flush_denied_access", dt.timedelta(minutes=1)),
    Entry("clientvault.rights.tasks.purge_portal_codes", dt.timedelta(hours=6)),
    Entry("clientvault.crypto.tasks.finish_key_destructions", dt.timedelta(minutes=1)),
    Entry("clientvault.crypto.tasks.sweep_rewrap", dt.timedelta(minutes=5)),
    Entry("clientvault.core.tasks.retry_abandoned_tasks", dt.timedelta(minutes=1)),
    # The feed also sequences before each read; this keeps positions close behind commits without readers.
    Entry("clientvault.core.tasks.sequence_events", dt.timedelta(seconds=30)),
    Entry("clientvault.approvals.tasks.remind_due", dt.timedelta(minutes=15)),
    Entry("clientvault.approvals.tasks.escalate_overdue", dt.timedelta(minutes=15)),
    Entry("clientvault.approvals.tasks.expire_stale", dt.timedelta(hours=1)),
    # Once a day per owner whatever the interval (notifications de-duplicate by date); hourly catches a late start.
    Entry("clientvault.customers.tasks.remind_followups_due", dt.timedelta(hours=1)),
    # New and changed customers against everyone, with the last full scan's model (issue #14).
    Entry("clientvault.dedupe.tasks.scan_duplicates", dt.timedelta(days=1)),
    # Data-subject requests (issue #15): retry failed parts, resume abandoned ones, poll waiting ones.
    Entry("clientvault.rights.tasks.sweep_requests", dt.timedelta(minutes=5)),
    # Retention (issue #15, PIPL-19/47): erase what is past every rule, restrict what a hold keeps; resume erasures.
    Entry("clientvault.lifecycle.tasks.sweep", dt.timedelta(days=1)),
    # Credit reviews (issue #16): periodic reviews open ahead of each file's next review date; idempotent.
    Entry("clientvault.risk.review_tasks.schedule_reviews", dt.timedelta(days=1)),
    # Deletion reaches the key-store backups within this interval (+ margin): the certificate's window (issue #15).
    # Credit files (issue #16): score and evaluate every file once a day (resumable: a file done today is skipped).
    Entry("clientvault.risk.tasks.reevaluate_all", dt.timedelta(days=1)),
    Entry("clientvault.backups.tasks.purge_backups", dt.timedelta(minutes=settings.CLIENTVAULT_BACKUP_PURGE_INTERVAL_MINUTES)),
    # Early warning (issue #16): internal indicators daily; external ones daily when a connector is configured (the
    # job records a skip otherwise); score stability checked daily, acting once per month (a stored month is kept).
    Entry("clientvault.risk.warning_tasks.scan_internal_indicators", dt.timedelta(days=1)),
    Entry("clientvault.risk.warning_tasks.scan_external_indicators", dt.timedelta(days=1)),
    Entry("clientvault.risk.warning_tasks.check_score_stability", dt.timedelta(days=1)),
)


def due_entries(now: dt.datetime, last_runs: dict[str, dt.datetime | None], schedule: tuple[Entry, ...] = SCHEDULE) -> list[Entry]:
    """Pure: the entries whose interval has passed since they were last enqueued."""
    return [e for e in schedule if (last := last_runs.get(e.task_path)) is None or now - last >= e.every]


def enqueue_due(schedule: tuple[Entry, ...] = SCHEDULE, loader: Callable[[str], Any] = import_string) -> list[str]:
    """Enqueue every due entry once; returns the task paths enqueued."""
    enqueued: list[str] = []
    now = clock.now()
    for entry in schedule:
        with transaction.atomic():
            job, _created = ScheduledJob.objects.select_for_update().get_or_create(name=entry.task_path)
            if not due_entries(now, {entry.task_path: job.last_enqueued_at}, (entry,)):
                continue
            task = loader(entry.task_path)
            transaction.on_commit(task.enqueue)
            job.last_enqueued_at = now
            job.save(update_fields=["last_enqueued_at"])
            enqueued.append(entry.task_path)
    if enqueued:
        log.info("scheduled %d periodic task(s)", len(enqueued))
    return enqueued
