"""Working days for approval deadlines (SLA): Monday to Friday, minus the holidays a calendar declares.

Issue #15's working-day calendar (public holidays and make-up working weekends, 调休) plugs in at app ready
(``apps.py``) through ``set_day_source``: a function answering True/False for the dates the calendar covers and
None elsewhere, where Monday–Friday applies. This is an internal service level, not a legal deadline, so a
year the calendar does not cover falls back instead of failing closed (rights deadlines use the strict
``calendars.services`` functions). ``set_holiday_source`` (a plain "is this a holiday") still works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

HolidaySource = Callable[[dt.date], bool]
DaySource = Callable[[dt.date], "bool | None"]  # True working, False not, None: the weekday rule decides


def _no_holidays(day: dt.date) -> bool:
    return False


_is_holiday: HolidaySource = _no_holidays


def set_holiday_source(source: HolidaySource | None) -> None:
    """Install the calendar's "is this date a holiday" (None: back to Monday–Friday only)."""
    global _is_holiday
    _is_holiday = source or _no_holidays


_day_source: DaySource | None = None


def set_day_source(source: DaySource | None) -> None:
    """Install the calendar's "is this date a working day, if you know" (None: no calendar)."""
    global _day_source
    _day_source = source


def is_working_day(day: dt.date) -> bool:
    if _day_source is not None:
        known = _day_source(day)
        if known is not None:
            return known
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
