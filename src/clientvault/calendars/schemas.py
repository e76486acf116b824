"""JSON shapes of the calendar API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

DayKindCode = Literal["holiday", "workday", "ordinary"]
FestivalCode = Literal[
    "new_years_day", "spring_festival", "tomb_sweeping_day", "labour_day", "dragon_boat_festival",
    "mid_autumn_festival", "national_day", "anti_fascist_70th_day", "other",
]  # fmt: skip


class YearOut(Schema):
    year: int
    covered: bool = Field(description="False: deadlines reaching into this year are not computed (fail closed)")
    source: str = Field(description='"chinese-calendar X.Y.Z" for seeded years, "admin" for entered ones, "" when absent')
    notice: str = Field(description="The State Council notice cited")
    seeded_at: dt.datetime | None
    changed_at: dt.datetime | None
    holidays: int
    workdays: int = Field(description="Make-up working days (调休上班)")

    @staticmethod
    def from_summary(s: Any) -> YearOut:
        return YearOut(
            year=s.year, covered=s.covered, source=s.source, notice=s.notice, seeded_at=s.seeded_at,
            changed_at=s.changed_at, holidays=s.holidays, workdays=s.workdays,
        )  # fmt: skip


class DayOut(Schema):
    day: dt.date
    kind: DayKindCode
    festival: FestivalCode
    version: int
    source: str
    notice: str
    effective_from: dt.datetime

    @staticmethod
    def from_model(d: Any) -> DayOut:
        return DayOut(
            day=d.day, kind=d.kind, festival=d.name, version=d.version, source=d.source, notice=d.notice, effective_from=d.effective_from
        )


class YearDetailOut(YearOut):
    days: list[DayOut] = Field(description="The entry in force of every date that has one")


class DayIn(Schema):
    day: dt.date
    kind: DayKindCode
    festival: FestivalCode = "other"
    notice: str = Field(min_length=1, max_length=200, description="The State Council notice this entry follows")
    reason: str = Field("", max_length=300)
