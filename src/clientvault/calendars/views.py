"""Staff pages of the working-day calendar: a year's month grids with its holidays and make-up working days,
its coverage and citations; the date editor and the coverage form (administrators). Views parse input and
call the services (rule 1); a capability the role lacks answers like a missing page (UI.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.calendars import overview, services
from clientvault.calendars.forms import CoverageForm, DayForm
from clientvault.calendars.models import DayName
from clientvault.core import clock
from clientvault.core.capabilities import CALENDAR, CHANGE, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of


def _require(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, CALENDAR, action):
        raise Http404()


def _year_in_range(year: int) -> int:
    if not services.FIRST_YEAR <= year <= services.LAST_YEAR:
        raise Http404()
    return year


def _year_page(request: AppRequest, year: int, coverage_form: CoverageForm | None = None, status: int = 200) -> HttpResponse:
    ctx = ctx_of(request)
    entries = overview.entries_in_force(year)
    may_edit = allows(ctx.roles, CALENDAR, CHANGE)
    summary = overview.year_summary(year)
    if may_edit and coverage_form is None:
        coverage_form = CoverageForm(initial={"covered": "0" if summary.covered else "1", "notice": summary.notice})
    context: dict[str, Any] = {
        "year": year,
        "summary": summary,
        "years": overview.years(),
        "months": overview.months(year, entries),
        "entries": entries,
        "may_edit": may_edit,
        "coverage_form": coverage_form if may_edit else None,
        # Two-letter weekday heads (not Django's "Mon", whose Chinese is too wide for a month grid).
        "weekdays": [_("Mo"), _("Tu"), _("We"), _("Th"), _("Fr"), _("Sa"), _("Su")],
    }
    return render(request, "calendars/year.html", context, status=status)


@require_safe
@login_required
def index(request: AppRequest) -> HttpResponse:
    _require(ctx_of(request), VIEW)
    return _year_page(request, clock.now().year)


@require_safe
@login_required
def year(request: AppRequest, year: int) -> HttpResponse:
    _require(ctx_of(request), VIEW)
    return _year_page(request, _year_in_range(year))


@require_POST
@login_required
def coverage(request: AppRequest, year: int) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    _year_in_range(year)
    form = CoverageForm(request.POST)
    if not form.is_valid():
        return _year_page(request, year, form, status=400)
    data = form.cleaned_data
    try:
        services.set_year_coverage(ctx=ctx, year=year, covered=data["covered"], notice=data["notice"], reason=data["reason"])
    except PermissionDenied:
        raise Http404() from None
    except ValidationFailed as exc:
        apply_errors(form, exc, {"year": "covered"})
        return _year_page(request, year, form, status=exc.status)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _year_page(request, year, form, status=exc.status)
    messages.success(
        request,
        _("Year %(year)s is now covered.") % {"year": year}
        if data["covered"]
        else _("Year %(year)s is no longer covered.") % {"year": year},
    )
    return HttpResponseRedirect(reverse("calendars:year", args=[year]))


def _initial_day(request: AppRequest) -> dict[str, Any]:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return {"name": DayName.OTHER}
    entry = overview.history(day)[:1]
    if entry:
        return {"day": day, "kind": entry[0].kind, "name": entry[0].name, "notice": entry[0].notice}
    return {"day": day, "name": DayName.OTHER}


@require_http_methods(["GET", "POST"])
@login_required
def day_edit(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    form = DayForm(request.POST) if request.method == "POST" else DayForm(initial=_initial_day(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_day(
                    ctx=ctx, day=data["day"], kind=data["kind"], name=data["name"], notice=data["notice"], reason=data["reason"]
                )
            except PermissionDenied:
                raise Http404() from None
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = exc.status
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(request, _("Calendar entry saved: it is in force now."))
                return HttpResponseRedirect(reverse("calendars:year", args=[data["day"].year]))
        else:
            status = 400
    day = form.cleaned_data.get("day") if form.is_bound and hasattr(form, "cleaned_data") else form.initial.get("day")
    context = {"form": form, "history": overview.history(day) if isinstance(day, dt.date) else []}
    return render(request, "calendars/day_edit.html", context, status=status)
