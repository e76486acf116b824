from __future__ import annotations

import datetime as dt

import pytest

from clientvault.core import schedule
from clientvault.core.models import ScheduledJob

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
HOURLY = schedule.Entry("x.hourly", dt.timedelta(hours=1))


def test_due_entries_is_pure():
    assert schedule.due_entries(NOW, {}, (HOURLY,)) == [HOURLY]
    assert schedule.due_entries(NOW, {"x.hourly": NOW - dt.timedelta(minutes=59)}, (HOURLY,)) == []
    assert schedule.due_entries(NOW, {"x.hourly": NOW - dt.timedelta(hours=1)}, (HOURLY,)) == [HOURLY]


@pytest.mark.django_db(transaction=True)
def test_enqueue_due_enqueues_each_entry_once_per_interval():
    enqueued: list[str] = []

    class FakeTask:
        def enqueue(self) -> None:
            enqueued.append("x.hourly")

    assert schedule.enqueue_due((HOURLY,), loader=lambda path: FakeTask()) == ["x.hourly"]
    assert schedule.enqueue_due((HOURLY,), loader=lambda path: FakeTask()) == []
    assert enqueued == ["x.hourly"]
    assert ScheduledJob.objects.get(name="x.hourly").last_enqueued_at is not None


@pytest.mark.django_db
def test_real_schedule_tasks_run():
    from clientvault.accounts.tasks import purge_expired_sessions
    from clientvault.core.tasks import prune_task_results

    assert purge_expired_sessions.call() == 0
    assert prune_task_results.call() == 0


@pytest.mark.django_db(databases=["default", "keys"])
def test_migrate_covers_the_key_store_too():
    from django.core.management import call_command

    # --check exits non-zero if any database named (here: every one) has unapplied migrations.
    call_command("migrate", check_unapplied=True, verbosity=0)
    call_command("migrate", database="keys", check_unapplied=True, verbosity=0)
