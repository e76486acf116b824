"""Approvals' internal SLA counts the working-day calendar (issue #15) where it covers the year and Monday–Friday
beyond it: an internal service level, not a legal deadline, so it does not fail closed. National Day 2026: 1–7
October off, Sunday 20 September and Saturday 10 October worked (调休上班)."""

from __future__ import annotations

import datetime as dt

import pytest

from clientvault.approvals import services, workdays
from clientvault.approvals.tests import support
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_the_sla_skips_national_day_and_counts_the_make_up_saturday() -> None:
    wednesday = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert workdays.add_working_days(wednesday, 1).date() == dt.date(2026, 10, 8)
    assert workdays.add_working_days(wednesday, 3).date() == dt.date(2026, 10, 10)  # Saturday, worked
    saturday = dt.datetime(2026, 9, 19, 9, 0, tzinfo=SHANGHAI)
    assert workdays.add_working_days(saturday, 1).date() == dt.date(2026, 9, 21)  # Sunday 20th is worked: counted from it
    assert workdays.working_days_between(wednesday, dt.datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)) == 2


def test_beyond_the_calendar_the_sla_falls_back_to_monday_to_friday() -> None:
    thursday = dt.datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)
    assert workdays.add_working_days(thursday, 1).date() == dt.date(2027, 1, 1)  # not covered: a plain Friday


def test_a_change_request_submitted_before_national_day_is_due_after_it(org: Org) -> None:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    steps = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]
    support.rule(support.OCCUPATION, steps, sla_working_days=2, expire_after_days=30, escalate_to=[R.SALES_MANAGER])
    with clock.travel(dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)):  # Wednesday 10:00 in Shanghai
        request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    assert request.due_at is not None
    assert request.due_at.astimezone(SHANGHAI) == dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)  # not Friday 2 October
