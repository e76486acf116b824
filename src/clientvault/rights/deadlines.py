"""Deadline arithmetic of data-subject requests: pure functions of a policy, the receipt date and the pauses.

RULES.md PIPL-44-48 and APP-15WD (15 working days on online channels, 30 days outer limit), GBT35273-8.7
(30 days hard cap), GDPR-12 (one month; up to two more if the person is told within the first month, with
reasons). Identity verification pauses the clock: every due date moves by the days paused.

Working days come from a function the caller passes (``calendars.services.add_working_days``, strict): when it
raises because a year is not covered, ``due_on`` stays empty and the request is flagged — never a guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clientvault.rights.choices import CALENDAR_NOT_COVERED, DeadlineUnit

AddWorkingDays = Callable[[dt.date, int], dt.date]


@dataclass(frozen=True)
class PolicyTerms:
    unit: str
    amount: int
    outer_limit_days: int | None
    extension_months: int
    notify_extension_within_months: int


@dataclass(frozen=True)
class Deadlines:
    due_on: dt.date | None
    outer_due_on: dt.date | None
    calendar_flag: str  # "" or "calendar_not_covered"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb; GDPR-12)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def paused_days(pauses: Sequence[dict[str, str | None]], today: dt.date) -> int:
    """Calendar days the clock stood still: each pause from its first day to the day it ended (an open pause
    counts up to today)."""
    total = 0
    for pause in pauses:
        start = dt.date.fromisoformat(str(pause["from"]))
        end = dt.date.fromisoformat(str(pause["to"])) if pause.get("to") else today
        total += max(0, (end - start).days)
    return total


def compute(
    terms: PolicyTerms,
    received_on: dt.date,
    *,
    paused: int,
    add_working_days: AddWorkingDays,
    not_covered: type[Exception],
) -> Deadlines:
    """Due date and outer limit of a request received on ``received_on`` whose clock stood still ``paused`` days."""
    start = received_on + dt.timedelta(days=paused)
    outer = start + dt.timedelta(days=terms.outer_limit_days) if terms.outer_limit_days else None
    if terms.unit == DeadlineUnit.MONTHS:
        return Deadlines(add_months(start, terms.amount), outer, "")
    if terms.unit == DeadlineUnit.CALENDAR_DAYS:
        return Deadlines(start + dt.timedelta(days=terms.amount), outer, "")
    try:
        due = add_working_days(start, terms.amount)
    except not_covered:
        return Deadlines(None, outer, CALENDAR_NOT_COVERED)  # fail closed: the outer limit still holds
    if outer is not None and due > outer:
        due = outer  # GBT35273-8.7: never past the outer limit
    return Deadlines(due, outer, "")


def extension_allowed(terms: PolicyTerms, received_on: dt.date, told_on: dt.date, paused: int = 0) -> bool:
    """GDPR-12(3): an extension counts only if the person is told within the first month(s) after receipt."""
    if terms.extension_months <= 0 or terms.notify_extension_within_months <= 0:
        return False
    limit = add_months(received_on + dt.timedelta(days=paused), terms.notify_extension_within_months)
    return told_on <= limit


def extended_due(terms: PolicyTerms, due_on: dt.date) -> dt.date:
    return add_months(due_on, terms.extension_months)


def urgency(due: dt.date | None, today: dt.date, *, soon_days: int, flagged: bool, outer_due: dt.date | None = None) -> str:
    """The dashboard colour of an open request: "flagged" (no due date: calendar not covered), "overdue"
    (red), "due_soon" (amber), "ok". A flagged request past its outer limit is overdue all the same
    (GBT35273-8.7: the outer limit holds whatever the calendar says)."""
    if due is None:
        if outer_due is not None and outer_due < today:
            return "overdue"
        return "flagged" if flagged else "ok"
    if due < today:
        return "overdue"
    if (due - today).days <= soon_days:
        return "due_soon"
    return "ok"
