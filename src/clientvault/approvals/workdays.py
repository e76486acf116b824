"""Working days for approval deadlines (SLA): Monday to Friday, minus the holidays a calendar declares.

Issue #15 brings the deadline calendar (public holidays and adjusted working weekends, 调休); until then no
day is a holiday. It plugs in through ``set_holiday_source``: one function answering "is this date a
holiday", so ``add_working_days`` stays the only place deadlines are computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

HolidaySource = Callable[[dt.date], bool]


def _no_holidays(day: dt.date) -> bool:
    return False


_is_holiday: HolidaySource = _no_holidays


def set_holiday_source(source: HolidaySource | None) -> None:
    """Install the calendar's "is this date a holiday" (None: back to Monday–Friday only)."""
    global _is_holiday
    _is_holiday = source or _no_holidays


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not _is_holiday(day)


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def add_working_days(start: dt.datetime, n: int) -> dt.datetime:
    """``start`` moved forward by ``n`` working days, keeping its time of day.

    A start on a weekend or holiday counts from the next working day: Saturday + 1 is Tuesday's same
    time-of-day, as the work could not begin before Monday."""
    if n < 0:
        raise ValueError("n must be >= 0")
    current = _local(start)  # the institution's calendar day
    while not is_working_day(current.date()):
        current += dt.timedelta(days=1)
    added = 0
    while added < n:
        current += dt.timedelta(days=1)
        if is_working_day(current.date()):
            added += 1
    return current


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole working days from ``start``'s date to ``end``'s date (0 when end is not after start)."""
    days, day = 0, _local(start).date()
    while day < _local(end).date():
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days += 1
    return days
