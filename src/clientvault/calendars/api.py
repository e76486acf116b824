"""The calendars API (issue #15): years and their coverage, a year's entries, entering a date (administrators)."""

from __future__ import annotations

from ninja import Router, Status

from clientvault.calendars import overview, services
from clientvault.calendars.schemas import DayIn, DayOut, YearDetailOut, YearOut
from clientvault.core.capabilities import CALENDAR, CHANGE, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.core.http import AppRequest, ctx_of

router = Router(tags=["calendars"])


def _require(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, CALENDAR, action):
        raise PermissionDenied()


@router.get("/calendar/years", response=list[YearOut], summary="Years of the working-day calendar and whether each is covered")
def years(request: AppRequest) -> list[YearOut]:
    _require(ctx_of(request), VIEW)
    return [YearOut.from_summary(y) for y in overview.years()]


# Before /calendar/{year}, whose pattern would otherwise take "days" for a year.
@router.post("/calendar/days", response={201: DayOut}, summary="Enter a date: public holiday, make-up working day, or ordinary again")
def add_day(request: AppRequest, payload: DayIn) -> Status[DayOut]:
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    row = services.record_day(
        ctx=ctx, day=payload.day, kind=payload.kind, name=payload.festival, notice=payload.notice, reason=payload.reason
    )
    return Status(201, DayOut.from_model(row))


@router.get("/calendar/{year}", response=YearDetailOut, summary="A year's coverage and its holidays and make-up working days in force")
def year(request: AppRequest, year: int) -> YearDetailOut:
    _require(ctx_of(request), VIEW)
    if not services.FIRST_YEAR <= year <= services.LAST_YEAR:
        raise NotFound()  # no calendar before 1949 or after 2200
    summary = YearOut.from_summary(overview.year_summary(year))
    return YearDetailOut(**summary.model_dump(), days=[DayOut.from_model(d) for d in overview.entries_in_force(year)])
