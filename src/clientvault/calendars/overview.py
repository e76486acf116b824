"""Reading the calendar for its pages and API: years with their coverage, a year's entries in force, month
grids, a date's history. Reference data only (nothing personal), so these reads leave no audit event."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from clientvault.calendars.models import CalendarDay, CalendarYear, DayKind
from clientvault.core import clock


@dataclass(frozen=True)
class YearSummary:
    year: int
    covered: bool
    source: str
    notice: str
    seeded_at: dt.datetime | None
    changed_at: dt.datetime | None
    holidays: int
    workdays: int


@dataclass(frozen=True)
class Cell:
    day: dt.date
    state: str  # "holiday" | "workday" (make-up) | "weekend" | "working"
    entry: CalendarDay | None


@dataclass(frozen=True)
class Month:
    number: int
    first: dt.date
    weeks: list[list[Cell | None]]


def entries_in_force(year: int) -> list[CalendarDay]:
    """The entry in force of every date of ``year`` that has one (withdrawn ones, kind ordinary, included)."""
    latest: dict[dt.date, CalendarDay] = {}
    for row in CalendarDay.objects.filter(day__year=year).order_by("day", "version"):
        latest[row.day] = row
    return list(latest.values())


def _counts(year: int) -> tuple[int, int]:
    rows = entries_in_force(year)
    return sum(r.kind == DayKind.HOLIDAY for r in rows), sum(r.kind == DayKind.WORKDAY for r in rows)


def _summary(year: int, row: CalendarYear | None) -> YearSummary:
    holidays, workdays = _counts(year)
    if row is None:
        return YearSummary(year, False, "", "", None, None, holidays, workdays)
    return YearSummary(year, row.covered, row.source, row.notice, row.seeded_at, row.changed_at, holidays, workdays)


def year_summary(year: int) -> YearSummary:
    return _summary(year, CalendarYear.objects.filter(year=year).first())


def years() -> list[YearSummary]:
    """Every year in the table, and this year and the next even when absent (shown as not covered)."""
    rows = {r.year: r for r in CalendarYear.objects.all()}
    this = clock.now().year
    counted = {
        y["day__year"]: (y["h"], y["w"])
        for y in CalendarDay.objects.filter(superseded_by__isnull=True)
        .values("day__year")
        .annotate(h=Count("id", filter=Q(kind=DayKind.HOLIDAY)), w=Count("id", filter=Q(kind=DayKind.WORKDAY)))
    }
    out = []
    for year in sorted(set(rows) | {this, this + 1}, reverse=True):
        row = rows.get(year)
        holidays, workdays = counted.get(year, (0, 0))
        if row is None:
            out.append(YearSummary(year, False, "", "", None, None, holidays, workdays))
        else:
            out.append(YearSummary(year, row.covered, row.source, row.notice, row.seeded_at, row.changed_at, holidays, workdays))
    return out


def months(year: int, entries: list[CalendarDay]) -> list[Month]:
    """Twelve month grids (weeks from Monday) marking holidays and make-up working days."""
    by_day = {e.day: e for e in entries}
    grid = pycalendar.Calendar(firstweekday=0)
    out = []
    for number in range(1, 13):
        weeks: list[list[Cell | None]] = []
        for week in grid.monthdatescalendar(year, number):
            cells: list[Cell | None] = []
            for day in week:
                if day.month != number:
                    cells.append(None)
                    continue
                entry = by_day.get(day)
                if entry is not None and entry.kind == DayKind.HOLIDAY:
                    state = "holiday"
                elif entry is not None and entry.kind == DayKind.WORKDAY:
                    state = "workday"
                else:
                    state = "weekend" if day.weekday() >= 5 else "working"
                cells.append(Cell(day, state, entry))
            weeks.append(cells)
        out.append(Month(number, dt.date(year, number, 1), weeks))
    return out


def history(day: dt.date) -> list[CalendarDay]:
    """Every version of a date's entry, newest first."""
    return list(CalendarDay.objects.filter(day=day).order_by("-version").select_related("recorded_by"))
