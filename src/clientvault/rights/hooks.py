"""Connections of the requests workflow to the working-day calendar (issue #15).

The calendar (``calendars.services``), the access package (``rights.package``) and the deletion engine
(``lifecycle.services``/``selectors``) are imported directly (the layers allow it): a missing one is an import
error at start-up, never a part failing at run time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from clientvault.calendars import services as calendar


def add_working_days_and_error() -> tuple[Callable[[dt.date, int], dt.date], type[Exception]]:
    """(calendars.services.add_working_days, CalendarNotCovered): strict, fails closed on an uncovered year."""
    return calendar.add_working_days, calendar.CalendarNotCovered


def connect_calendar() -> None:
    """Recompute open requests' deadlines (after commit) whenever the calendar's days change; the sweep
    (``rights.tasks.sweep_requests``) catches up if this in-process call is lost."""

    def recompute(years: frozenset[int]) -> None:
        from clientvault.rights import requests

        requests.recompute_deadlines(years)

    calendar.on_change(recompute)
