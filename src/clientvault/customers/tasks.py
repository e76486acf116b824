"""Worker tasks of customers (issue #13): the daily reminder of follow-ups due (core/schedule.py)."""

from __future__ import annotations

from django_tasks import task

from clientvault.customers import reminders


@task()
def remind_followups_due() -> int:
    """Notify each owner of their follow-ups due today, once a day (the de-duplication key holds the date)."""
    return reminders.remind_followups_due()
