"""Seed the calendar from the installed chinese-calendar package: every year it covers, with its public
holidays and make-up working days, becomes a covered year. Years outside the package stay uncovered.

Idempotent: a year already covered, or one an administrator has entered days for, is left as it is (the
table, not the package, is authoritative once someone has worked on it). Each year is one transaction, so an
interrupted seed leaves whole years or none, and the next run carries on. ``seed`` is the catalogue hook
(``core/seeding.py``, run after ``migrate`` and after a flush: unaudited like every catalogue seed); the
``clientvault calendar seed`` command goes through ``services.seed_from_package``, which audits each year.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from clientvault.calendars import arithmetic
from clientvault.calendars.models import ADMIN_SOURCE, CalendarDay, CalendarYear, DayKind, DayName
from clientvault.core import clock


@dataclass(frozen=True)
class SeededYear:
    year: int
    holidays: int
    workdays: int


def package_source() -> str:
    import chinese_calendar  # type: ignore[import-untyped]

    return f"chinese-calendar {chinese_calendar.__version__}"


def package_notice(year: int) -> str:
    """The State Council General Office notice each year's arrangement comes from (its title; the package
    does not record the document number)."""
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


@functools.cache
def package_days() -> dict[int, dict[dt.date, tuple[str, str]]]:
    """The package's data by year: date → (kind, festival code)."""
    from chinese_calendar import constants  # type: ignore[import-untyped]

    names = {h.value: h.name for h in constants.Holiday}
    by_year: dict[int, dict[dt.date, tuple[str, str]]] = {}
    for table, kind in ((constants.holidays, DayKind.HOLIDAY), (constants.workdays, DayKind.WORKDAY)):
        for day, label in table.items():
            code = names.get(label, DayName.OTHER)
            by_year.setdefault(day.year, {})[day] = (str(kind), code if code in DayName.values else str(DayName.OTHER))
    return by_year


def _seed_year(
    year: int, days: dict[dt.date, tuple[str, str]], source: str, record: Callable[[SeededYear], None] | None
) -> SeededYear | None:
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is not None and row.covered:
            return None
        in_year = CalendarDay.objects.filter(day__year=year)
        if in_year.filter(source=ADMIN_SOURCE).exists():
            return None  # an administrator is entering this year: theirs, not the package's
        present = set(in_year.values_list("day", flat=True))
        now = clock.now()
        new = [
            CalendarDay(day=day, version=1, kind=kind, name=name, source=source, notice=package_notice(year), effective_from=now)
            for day, (kind, name) in sorted(days.items())
            if day not in present
        ]
        CalendarDay.objects.bulk_create(new)
        values = {"covered": True, "source": source, "notice": package_notice(year), "seeded_at": now, "changed_at": now}
        CalendarYear.objects.update_or_create(year=year, defaults=values)
        kinds = [kind for kind, _name in days.values()]
        seeded = SeededYear(year=year, holidays=kinds.count(DayKind.HOLIDAY), workdays=kinds.count(DayKind.WORKDAY))
        if record is not None:
            record(seeded)  # the audit event, in this year's transaction
        arithmetic.edited((year,))  # deadlines flagged for this year can now be computed (after commit)
        return seeded


def seed_package_years(record: Callable[[SeededYear], None] | None = None) -> list[SeededYear]:
    """Seed every package year not yet covered (``record`` is called inside each year's transaction);
    returns the years seeded now."""
    source = package_source()
    return [s for year, days in sorted(package_days().items()) if (s := _seed_year(year, days, source, record)) is not None]


def seed(apps: Any, schema_editor: Any) -> None:
    """The catalogue hook (``core/seeding.py``): seed quietly when the tables exist."""
    if CalendarYear._meta.db_table not in connection.introspection.table_names():
        return  # a database migrated back before the calendar existed
    arithmetic.invalidate()  # after a flush the cache may describe rows that are gone
    covered = set(CalendarYear.objects.filter(covered=True).values_list("year", flat=True))
    if not set(package_days()) <= covered:
        seed_package_years()
