"""Deadline arithmetic (RULES.md PIPL-44-48, APP-15WD, GBT35273-8.7, GDPR-12): pure, no database.

Working days come from the real chinese-calendar package here (the calendars app reads the same data into its
table); a year it does not cover raises, and the deadline fails closed.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar  # type: ignore[import-untyped,unused-ignore]
import pytest

from clientvault.rights import deadlines
from clientvault.rights.deadline_defaults import DEFAULTS
from clientvault.rights.deadlines import PolicyTerms


class NotCovered(Exception):
    pass


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The day n working days after start (start not counted), strict like calendars.services."""
    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError as exc:
            raise NotCovered(day.year) from exc
        left -= working
    return day


def terms(jurisdiction: str, channel: str) -> PolicyTerms:
    unit, amount, outer, ext, notify, _source = DEFAULTS[(jurisdiction, channel)]
    return PolicyTerms(unit, amount, outer, ext, notify)


def compute(t: PolicyTerms, received: dt.date, paused: int = 0) -> deadlines.Deadlines:
    return deadlines.compute(t, received, paused=paused, add_working_days=add_working_days, not_covered=NotCovered)


def test_app_15wd_fifteen_working_days_over_the_national_day_holiday_2026() -> None:
    # Received Wed 30 Sep 2026: 1-7 Oct is 国庆 (off), Sat 10 Oct is a make-up working day.
    found = compute(terms("CN", "portal"), dt.date(2026, 9, 30))
    assert found.due_on == dt.date(2026, 10, 27)
    assert found.outer_due_on == dt.date(2026, 10, 30)  # GBT35273-8.7: 30 days outer limit
    assert found.calendar_flag == ""


def test_offline_channels_take_thirty_calendar_days() -> None:
    found = compute(terms("CN", "counter"), dt.date(2026, 9, 30))
    assert found.due_on == found.outer_due_on == dt.date(2026, 10, 30)


def test_a_year_the_calendar_does_not_cover_fails_closed_but_keeps_the_outer_limit() -> None:
    found = compute(terms("CN", "portal"), dt.date(2026, 12, 20))
    assert found.due_on is None
    assert found.calendar_flag == "calendar_not_covered"
    assert found.outer_due_on == dt.date(2027, 1, 19)


def test_identity_verification_pause_moves_every_date_by_the_days_paused() -> None:
    pauses: list[dict[str, str | None]] = [{"from": "2026-09-21", "to": "2026-09-30"}]  # nine days waiting for identity
    paused = deadlines.paused_days(pauses, dt.date(2026, 11, 1))
    assert paused == 9
    found = compute(terms("CN", "portal"), dt.date(2026, 9, 21), paused)
    assert found.due_on == dt.date(2026, 10, 27) and found.outer_due_on == dt.date(2026, 10, 30)
    assert deadlines.paused_days([{"from": "2026-09-21", "to": None}], dt.date(2026, 9, 25)) == 4  # open pause: to today


def test_gdpr_one_month_clamped_to_the_month_end() -> None:
    assert compute(terms("EU", "portal"), dt.date(2026, 1, 31)).due_on == dt.date(2026, 2, 28)
    assert compute(terms("EU", "letter"), dt.date(2026, 3, 15)).due_on == dt.date(2026, 4, 15)


def test_gdpr_extension_counts_only_if_told_within_the_first_month() -> None:
    t = terms("EU", "portal")
    received = dt.date(2026, 3, 15)
    assert deadlines.extension_allowed(t, received, dt.date(2026, 4, 15))  # told on the last day: in time
    assert not deadlines.extension_allowed(t, received, dt.date(2026, 4, 16))  # one day late
    assert deadlines.extended_due(t, dt.date(2026, 4, 15)) == dt.date(2026, 6, 15)  # + two months
    assert not deadlines.extension_allowed(terms("CN", "portal"), received, received)  # no extension in the CN policy


@pytest.mark.parametrize(
    ("due", "expected"),
    [(None, "flagged"), (dt.date(2026, 10, 1), "overdue"), (dt.date(2026, 10, 4), "due_soon"), (dt.date(2026, 10, 20), "ok")],
)
def test_dashboard_urgency(due: dt.date | None, expected: str) -> None:
    assert deadlines.urgency(due, dt.date(2026, 10, 2), soon_days=3, flagged=due is None) == expected
