"""Connections of the requests workflow to apps below it that are found at run time (issue #15).

The calendar (``calendars.services``), the access package (``rights.package``) and the deletion engine
(``lifecycle.services``/``selectors``) are written beside this workflow; they are looked up by name so that
a missing one fails its part (or flags its deadline) instead of failing the import of the app.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

CALENDAR = "clientvault.calendars.services"
PACKAGE = "clientvault.rights.package"
LIFECYCLE_SERVICES = "clientvault.lifecycle.services"
LIFECYCLE_SELECTORS = "clientvault.lifecycle.selectors"


class CalendarMissing(Exception):
    """No working-day calendar is installed: every working-day deadline fails closed (flagged)."""


def module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def add_working_days_and_error() -> tuple[Any, type[Exception]]:
    """(calendars.services.add_working_days, CalendarNotCovered); without a calendar, a function that
    always fails closed."""
    cal = module(CALENDAR)
    if cal is None or not hasattr(cal, "add_working_days"):

        def missing(start: Any, n: int) -> Any:
            raise CalendarMissing()

        return missing, CalendarMissing
    return cal.add_working_days, cal.CalendarNotCovered


def connect_calendar() -> None:
    """Recompute open requests' deadlines (after commit) whenever the calendar's days change."""
    cal = module(CALENDAR)
    if cal is None or not hasattr(cal, "on_change"):
        return

    def recompute(years: frozenset[int]) -> None:
        from clientvault.rights import requests

        requests.recompute_deadlines(years)

    cal.on_change(recompute)
