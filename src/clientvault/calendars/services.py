"""The working-day calendar's writes (each with its audit event) and its arithmetic (the contract of issue #15).

Editing is the administrators' (capability ``CALENDAR``): a day's new entry is its next version, citing the
State Council notice; the version it supersedes stays. A year becomes covered when its days are entered and a
notice is cited. Legal deadlines (rights requests) use the strict functions re-exported here; approvals' internal
SLA uses ``known_working_day`` and falls back to Monday–Friday where the table is silent.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.calendars import seeding
from clientvault.calendars.arithmetic import (
    CalendarNotCovered,
    add_working_days,
    covered_years,
    is_working_day,
    known_working_day,
    on_change,
    working_days_between,
    years_changed_since,
)
from clientvault.calendars.arithmetic import edited as _edited
from clientvault.calendars.models import ADMIN_SOURCE, NOTICE_LENGTH, CalendarDay, CalendarYear, DayKind, DayName
from clientvault.calendars.seeding import SeededYear
from clientvault.core import clock
from clientvault.core.capabilities import CALENDAR, CHANGE, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed

__all__ = [  # the contract's arithmetic, re-exported, and the writes
    "CalendarNotCovered",
    "add_working_days",
    "covered_years",
    "is_working_day",
    "known_working_day",
    "on_change",
    "record_day",
    "seed_from_package",
    "set_year_coverage",
    "working_days_between",
    "years_changed_since",
]
# A year is taken as entered when these festivals have their holidays: every State Council notice has them.
REQUIRED_FOR_COVERAGE = (DayName.SPRING_FESTIVAL, DayName.NATIONAL_DAY)
FIRST_YEAR, LAST_YEAR = 1949, 2200


def _require_editor(ctx: Context) -> None:
    if ctx.actor is None or not allows(ctx.roles, CALENDAR, CHANGE):
        raise PermissionDenied()


def _date_key(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day  # audit details hold codes and numbers: 20261001


def _clean_notice(notice: str) -> str:
    notice = (notice or "").strip()
    if not notice:
        raise ValidationFailed({"notice": [_("Cite the State Council notice this entry follows.")]})
    if len(notice) > NOTICE_LENGTH:
        raise ValidationFailed({"notice": [_("Keep the citation under 200 characters.")]})
    return notice


def _in_force(day: dt.date) -> CalendarDay | None:
    """The entry in force for ``day`` (its highest version), if any."""
    return CalendarDay.objects.filter(day=day).order_by("-version").first()


@transaction.atomic
def record_day(*, ctx: Context, day: dt.date, kind: str, name: str, notice: str, reason: str = "") -> CalendarDay:
    """Enter a date as a public holiday, a make-up working day, or an ordinary day again: its next version."""
    _require_editor(ctx)
    errors: dict[str, list[str | Promise]] = {}
    if kind not in DayKind.values:
        errors["kind"] = [_("Choose holiday, make-up working day or ordinary day.")]
    if name not in DayName.values:
        errors["name"] = [_("Choose the festival.")]
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors["day"] = [_("Enter a date between 1949 and 2200.")]
    if errors:
        raise ValidationFailed(errors)
    notice = _clean_notice(notice)
    if kind == DayKind.ORDINARY:
        name = DayName.OTHER
    CalendarYear.objects.select_for_update().filter(year=day.year).first()  # serialise edits of one year
    current = _in_force(day)
    if current is not None and (current.kind, current.name, current.notice) == (kind, name, notice):
        raise ValidationFailed({"kind": [_("This is already the entry in force for that date.")]})
    if current is None and kind == DayKind.ORDINARY:
        raise ValidationFailed({"kind": [_("That date has no entry to withdraw: it already follows the weekday rule.")]})
    now = clock.now()
    try:
        with transaction.atomic():
            row = CalendarDay.objects.create(
                day=day,
                version=(current.version + 1) if current else 1,
                kind=kind,
                name=name,
                source=ADMIN_SOURCE,
                notice=notice,
                reason=(reason or "").strip()[:300],
                effective_from=now,
                supersedes=current,
                recorded_by=ctx.actor,
            )
    except IntegrityError:
        raise Conflict(_("Someone else changed this date at the same time: reload and try again.")) from None
    if not CalendarYear.objects.filter(year=day.year).exists():
        CalendarYear.objects.create(year=day.year, covered=False, source=ADMIN_SOURCE, changed_at=now, changed_by=ctx.actor)
    detail = {
        "date_key": _date_key(day),
        "year": day.year,
        "kind": kind,
        "festival": name,
        "version": row.version,
        "previous_kind": current.kind if current else None,
        "year_covered": day.year in covered_years(),
    }
    audit.record(ctx, "calendar.day_changed", obj=row, detail=detail)
    _edited((day.year,))
    return row


@transaction.atomic
def set_year_coverage(*, ctx: Context, year: int, covered: bool, notice: str, reason: str = "") -> CalendarYear:
    """Declare a year covered (its days are entered; cite the notice) — or withdraw that declaration, after
    which every deadline reaching into the year fails closed again."""
    _require_editor(ctx)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed({"year": [_("Enter a year between 1949 and 2200.")]})
    notice = _clean_notice(notice)
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    if covered:
        holidays = _festivals_in_force(year)
        missing = [str(code.label) for code in REQUIRED_FOR_COVERAGE if code not in holidays]
        if missing:
            raise ValidationFailed({"year": [_("Enter the year's holidays first (missing: %(names)s).") % {"names": ", ".join(missing)}]})
    if row is not None and row.covered == covered:
        raise ValidationFailed({"year": [_("The year already has that coverage.")]})
    now = clock.now()
    if row is None:
        row = CalendarYear(year=year, source=ADMIN_SOURCE)
    row.covered, row.notice, row.changed_at, row.changed_by = covered, notice, now, ctx.actor
    if covered:
        row.source = ADMIN_SOURCE
    row.save()
    detail = {"year": year, "action": "year_covered" if covered else "year_uncovered", "reasoned": bool((reason or "").strip())}
    audit.record(ctx, "calendar.day_changed", obj=row, detail=detail)
    _edited((year,))
    return row


def _festivals_in_force(year: int) -> set[str]:
    latest: dict[dt.date, tuple[str, str]] = {}
    for day, kind, name in CalendarDay.objects.filter(day__year=year).order_by("day", "version").values_list("day", "kind", "name"):
        latest[day] = (kind, name)
    return {name for kind, name in latest.values() if kind == DayKind.HOLIDAY}


def seed_from_package(*, ctx: Context) -> list[SeededYear]:
    """Seed every year the installed chinese-calendar covers and the table does not: one event per year."""
    source = seeding.package_source()

    def record(seeded: SeededYear) -> None:
        detail = {"year": seeded.year, "holidays": seeded.holidays, "workdays": seeded.workdays, "source": source.replace(" ", ":")}
        audit.record(ctx, "calendar.year_seeded", object_type="calendars.calendaryear", object_id=str(seeded.year), detail=detail)

    return seeding.seed_package_years(record)
