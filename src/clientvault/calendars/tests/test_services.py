"""Administrators' edits: a new version per change (history kept), audited ``calendar.day_changed``, the answer
changing at once, ``on_change`` told after commit and never on rollback; coverage of a year; the seed command."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from clientvault.calendars import arithmetic, overview, services
from clientvault.calendars.models import CalendarDay, CalendarYear
from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

D = dt.date
NOTICE = "国务院办公厅关于2026年部分节假日安排的通知（测试补充）"


@pytest.fixture
def heard() -> Iterator[list[frozenset[int]]]:
    calls: list[frozenset[int]] = []
    services.on_change(calls.append)
    yield calls
    arithmetic.remove_callback(calls.append)


def test_an_edit_is_a_new_version_changes_the_answer_and_tells_listeners_after_commit(
    org: Org, heard: list[frozenset[int]], audit_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert services.is_working_day(D(2026, 12, 7))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.record_day(
            ctx=ctx(org["admin"]), day=D(2026, 12, 7), kind="holiday", name="other", notice=NOTICE, reason="typhoon"
        )
        assert heard == []  # not before commit
        assert not services.is_working_day(D(2026, 12, 7))  # in force at once, in the editing transaction too
    assert heard == [frozenset({2026})]
    assert services.add_working_days(D(2026, 12, 4), 1) == D(2026, 12, 8)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.record_day(ctx=ctx(org["admin"]), day=D(2026, 12, 7), kind="ordinary", name="other", notice=NOTICE)
    assert services.is_working_day(D(2026, 12, 7))
    assert (first.version, second.version, second.supersedes_id) == (1, 2, first.pk)
    versions = overview.history(D(2026, 12, 7))
    assert [(v.version, v.kind) for v in versions] == [(2, "ordinary"), (1, "holiday")]  # history kept
    assert CalendarDay.objects.get(pk=first.pk).kind == "holiday"  # the superseded row is untouched
    events = audit_events("calendar.day_changed")
    assert len(events) == 2 and events[0].detail["date_key"] == 20261207 and events[0].detail["kind"] == "holiday"
    assert events[1].detail["previous_kind"] == "holiday" and events[0].actor_id == org["admin"].pk


def test_a_make_up_saturday_entered_by_an_administrator(org: Org) -> None:
    assert not services.is_working_day(D(2026, 12, 5))
    before = clock.now()
    assert services.years_changed_since(before) == frozenset()
    services.record_day(ctx=ctx(org["admin"]), day=D(2026, 12, 5), kind="workday", name="other", notice=NOTICE)
    assert services.is_working_day(D(2026, 12, 5))
    assert services.add_working_days(D(2026, 12, 4), 1) == D(2026, 12, 5)
    assert services.years_changed_since(before) == frozenset({2026})  # a listener that missed on_change catches up


def test_a_rolled_back_edit_leaves_no_trace_and_tells_nobody(
    org: Org, heard: list[frozenset[int]], django_capture_on_commit_callbacks: Any
) -> None:
    services.covered_years()  # a warm cache

    def edit_then_crash() -> None:
        with transaction.atomic():
            services.record_day(ctx=ctx(org["admin"]), day=D(2026, 12, 7), kind="holiday", name="other", notice=NOTICE)
            assert not services.is_working_day(D(2026, 12, 7))
            raise RuntimeError("crash before commit")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        edit_then_crash()
    assert callbacks == [] and heard == []
    assert services.is_working_day(D(2026, 12, 7))  # no phantom holiday from the cache
    assert not CalendarDay.objects.filter(day=D(2026, 12, 7)).exists()


def test_only_administrators_edit(org: Org) -> None:
    for who in ("compliance", "auditor", "rep_bj1", "norole"):
        with pytest.raises(PermissionDenied):
            services.record_day(ctx=ctx(org[who]), day=D(2026, 12, 7), kind="holiday", name="other", notice=NOTICE)
        with pytest.raises(PermissionDenied):
            services.set_year_coverage(ctx=ctx(org[who]), year=2027, covered=True, notice=NOTICE)
    with pytest.raises(PermissionDenied):
        services.record_day(ctx=system_context(), day=D(2026, 12, 7), kind="holiday", name="other", notice=NOTICE)
    assert not CalendarDay.objects.filter(day=D(2026, 12, 7)).exists()


def test_an_entry_cites_a_notice_and_changes_something(org: Org) -> None:
    admin = ctx(org["admin"])
    with pytest.raises(ValidationFailed) as caught:
        services.record_day(ctx=admin, day=D(2026, 12, 7), kind="holiday", name="other", notice="  ")
    assert "notice" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.record_day(
            ctx=admin, day=D(2026, 10, 1), kind="holiday", name="national_day", notice=CalendarDay.objects.get(day=D(2026, 10, 1)).notice
        )
    with pytest.raises(ValidationFailed):
        services.record_day(ctx=admin, day=D(2026, 12, 8), kind="ordinary", name="other", notice=NOTICE)  # nothing to withdraw
    with pytest.raises(ValidationFailed):
        services.record_day(ctx=admin, day=D(2026, 12, 8), kind="party", name="other", notice=NOTICE)


def test_a_year_is_covered_once_its_holidays_are_entered(
    org: Org, heard: list[frozenset[int]], django_capture_on_commit_callbacks: Any
) -> None:
    admin = ctx(org["admin"])
    notice = "国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕1号"
    with pytest.raises(ValidationFailed):
        services.set_year_coverage(ctx=admin, year=2027, covered=True, notice=notice)  # no day entered yet
    services.record_day(ctx=admin, day=D(2027, 2, 8), kind="holiday", name="spring_festival", notice=notice)
    services.record_day(ctx=admin, day=D(2027, 10, 1), kind="holiday", name="national_day", notice=notice)
    with pytest.raises(services.CalendarNotCovered):
        services.is_working_day(D(2027, 2, 8))  # entered, but not declared complete: still fail closed
    with django_capture_on_commit_callbacks(execute=True):
        row = services.set_year_coverage(ctx=admin, year=2027, covered=True, notice=notice)
    assert row.covered and row.source == "admin" and heard == [frozenset({2027})]
    assert not services.is_working_day(D(2027, 2, 8)) and services.is_working_day(D(2027, 2, 9))
    services.set_year_coverage(ctx=admin, year=2027, covered=False, notice=notice, reason="withdrawn notice")
    with pytest.raises(services.CalendarNotCovered):
        services.is_working_day(D(2027, 2, 9))


def test_the_seed_command_adds_missing_package_years_once_audited(audit_events: Any) -> None:
    CalendarDay.objects.filter(day__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    arithmetic.invalidate()
    assert 2025 not in services.covered_years()
    call_command("calendar", "seed")
    assert 2025 in services.covered_years()
    assert not services.is_working_day(D(2025, 10, 8)) and services.is_working_day(D(2025, 9, 28))  # National Day 2025, make-up Sunday
    events = audit_events("calendar.year_seeded")
    assert [(e.object_id, e.detail["source"].startswith("chinese-calendar:")) for e in events] == [("2025", True)]
    call_command("calendar", "seed")  # idempotent
    assert len(audit_events("calendar.year_seeded")) == 1


def test_seeding_leaves_a_year_an_administrator_works_on(org: Org) -> None:
    CalendarDay.objects.filter(day__year=2024).delete()
    CalendarYear.objects.filter(year=2024).delete()
    services.record_day(ctx=ctx(org["admin"]), day=D(2024, 10, 1), kind="holiday", name="national_day", notice=NOTICE)
    assert services.seed_from_package(ctx=system_context(channel="cli")) == []
    assert CalendarDay.objects.filter(day__year=2024).count() == 1 and not CalendarYear.objects.get(year=2024).covered
