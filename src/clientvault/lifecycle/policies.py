"""Pure retention arithmetic (PIPL-19): no database, no clock."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping

# The most protective end action wins when several rules end at once.
_STRENGTH = {"delete": 0, "anonymise": 1, "restrict": 2}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months; the 31st becomes the month's last day (2024-01-31 + 1 → 2024-02-29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retain_until(rules: Iterable[tuple[str, int, str]], starts: Mapping[str, dt.date | None]) -> dt.date | None:
    """The last day any rule keeps the data: max over rules of (start event's date + period). ``rules`` are
    (code, months, start_event); a rule whose start event has not happened keeps the data (None: not expired)."""
    ends: list[dt.date] = []
    for _code, months, start_event in rules:
        start = starts.get(start_event)
        if start is None:
            return None
        ends.append(add_months(start, months))
    return max(ends) if ends else None


def end_action(actions: Iterable[str]) -> str:
    """Of several rules' end actions, the most protective (restrict > anonymise > delete)."""
    chosen = "delete"
    for action in actions:
        if _STRENGTH.get(action, 2) > _STRENGTH[chosen]:
            chosen = action if action in _STRENGTH else "restrict"
    return chosen
