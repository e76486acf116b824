"""Periodic approval work (``core/schedule.py``): reminders, escalation, expiry (``approvals/deadlines.py``)."""

from __future__ import annotations

from django_tasks import task


@task()
def remind_due() -> int:
    """Remind approvers of requests due within one working day."""
    from clientvault.approvals import deadlines

    return deadlines.remind_due()


@task()
def escalate_overdue() -> int:
    """Escalate overdue requests to the rule's escalation roles."""
    from clientvault.approvals import deadlines

    return deadlines.escalate_overdue()


@task()
def expire_stale() -> int:
    """Expire requests past their expiry date."""
    from clientvault.approvals import deadlines

    return deadlines.expire_stale()
