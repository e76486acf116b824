"""The strict working-day arithmetic on the seeded table (chinese-calendar 1.11 covers 2004–2026): Spring
Festival 2026 and its make-up Saturdays, APP-15WD's 15 working days, and 2027 failing closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.calendars import arithmetic, services
from clientvault.calendars.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date


def test_the_package_years_are_seeded_and_2027_is_not() -> None:
    years = services.covered_years()
    assert {2004, 2020, 2025, 2026} <= years
    assert 2027 not in years and 2003 not in years
    row = CalendarYear.objects.get(year=2026)
    assert row.covered and row.source.startswith("chinese-calendar ") and "2026年部分节假日安排" in row.notice
    national = CalendarDay.objects.get(day=D(2026, 10, 1))
    assert (national.kind, national.name, national.version) == ("holiday", "national_day", 1)


def test_spring_festival_2026_and_its_make_up_saturdays() -> None:
    assert services.is_working_day(D(2026, 2, 13))  # Friday before the festival
    assert services.is_working_day(D(2026, 2, 14))  # Saturday: a make-up working day (调休上班)
    assert not services.is_working_day(D(2026, 2, 16))  # Monday inside the holiday
    assert not services.is_working_day(D(2026, 2, 23))  # the last holiday is a Monday
    assert services.is_working_day(D(2026, 2, 28))  # Saturday: make-up working day
    assert not services.is_working_day(D(2026, 3, 1))  # an ordinary Sunday
    assert services.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert services.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert services.add_working_days(D(2026, 2, 13), 0) == D(2026, 2, 13)
    assert services.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert services.working_days_between(D(2026, 2, 24), D(2026, 2, 13)) == 0


def test_fifteen_working_days_across_the_festival() -> None:
    # APP-15WD: 15 working days from Tuesday 10 February 2026 — two make-up Saturdays count, nine holidays do not.
    due = services.add_working_days(D(2026, 2, 10), 15)
    assert due == D(2026, 3, 9)
    assert services.working_days_between(D(2026, 2, 10), due) == 15
    assert (due - D(2026, 2, 10)).days == 27


@pytest.mark.parametrize("start,n", [(D(2026, 2, 1), 30), (D(2026, 9, 15), 20), (D(2025, 12, 20), 25)])
def test_adding_and_counting_agree(start: dt.date, n: int) -> None:
    assert services.working_days_between(start, services.add_working_days(start, n)) == n


def test_a_year_the_table_does_not_cover_fails_closed() -> None:
    with pytest.raises(services.CalendarNotCovered) as caught:
        services.is_working_day(D(2027, 1, 4))
    assert caught.value.years == (2027,) and caught.value.code == "calendar_not_covered" and caught.value.status == 409
    assert "2027" in str(caught.value)
    assert services.add_working_days(D(2026, 12, 28), 3) == D(2026, 12, 31)  # stays inside 2026: computed
    with pytest.raises(services.CalendarNotCovered) as caught:
        services.add_working_days(D(2026, 12, 28), 4)  # would need 2027: never a silent Monday–Friday guess
    assert caught.value.years == (2027,)
    with pytest.raises(services.CalendarNotCovered) as caught:
        services.working_days_between(D(2026, 12, 1), D(2028, 1, 10))
    assert caught.value.years == (2027, 2028)
    assert services.known_working_day(D(2027, 1, 4)) is None  # the lenient form says "don't know"
    assert services.known_working_day(D(2026, 10, 7)) is False and services.known_working_day(D(2026, 10, 8)) is True


def test_the_cache_notices_another_process_writing(settings: Any) -> None:
    settings.CLIENTVAULT_CALENDAR_RECHECK_SECONDS = 0
    assert services.is_working_day(D(2026, 12, 7))
    # Another process's edit (a row written straight to the table): the stamp moved, the snapshot is rebuilt.
    CalendarDay.objects.create(
        day=D(2026, 12, 7), version=1, kind="holiday", source="admin", notice="n", effective_from=dt.datetime.now(dt.UTC)
    )
    try:
        assert not services.is_working_day(D(2026, 12, 7))
    finally:
        arithmetic.invalidate()


def test_a_lookup_is_a_dictionary_hit_once_cached(django_assert_num_queries: Any, settings: Any) -> None:
    settings.CLIENTVAULT_CALENDAR_RECHECK_SECONDS = 3600
    services.covered_years()
    with django_assert_num_queries(0):
        services.add_working_days(D(2026, 1, 5), 200)
        services.working_days_between(D(2025, 1, 1), D(2026, 12, 31))
