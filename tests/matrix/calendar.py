"""The permission matrix's working-day calendar (issue #15): every staff role reads it, administrators enter
dates and declare years covered; nobody else gets the edit pages (404) or the write API (403). Reference data:
no customer, so no out-of-scope cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientvault.calendars.models import CalendarDay, CalendarYear
from tests.matrix.world import USERS, World

READERS = tuple(u for u in USERS if u != "norole")
NOT_READERS = ("norole",)
EDITORS = ("admin",)
NOT_EDITORS = tuple(u for u in USERS if u not in EDITORS)
YEAR = 2026
DAY = dt.date(2026, 12, 7)  # an ordinary Monday the matrix declares a holiday
NOTICE = "国务院办公厅关于2026年部分节假日安排的通知（矩阵）"


def year(w: World, foreign: bool) -> int:
    return YEAR


def day_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"day": DAY.isoformat(), "kind": "holiday", "name": "other", "notice": NOTICE, "reason": "matrix"}


def day_payload(w: World, foreign: bool) -> dict[str, Any]:
    return {"day": DAY.isoformat(), "kind": "holiday", "festival": "other", "notice": NOTICE, "reason": "matrix"}


def day_entered(w: World, foreign: bool, ok: bool) -> None:
    assert CalendarDay.objects.filter(day=DAY, source="admin").count() == (1 if ok else 0)


def coverage_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"covered": "0", "notice": NOTICE, "reason": "matrix"}


def coverage_withdrawn(w: World, foreign: bool, ok: bool) -> None:
    assert CalendarYear.objects.get(year=YEAR).covered is (not ok)
