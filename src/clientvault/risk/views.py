"""The risk officer's pages (issue #16): portfolio, credit files, a credit file with its forced-hold form, a score's
reasons, reviews due and the monthly report (page and PDF). Views parse input and call selectors and services only
(rule 1); a file or score out of scope answers 404 like a missing one (rule 4)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clientvault.access import engine
from clientvault.access.policies import CHANGE, CREDIT
from clientvault.core import clock
from clientvault.core.capabilities import RISK_DESK, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import holds, selectors, shapes
from clientvault.risk import portfolio as book
from clientvault.risk import report as report_pdf_module
from clientvault.risk.forms import FileFilterForm, ForcedHoldForm

# The early-warning queue (risk/warning_urls.py), linked from the portfolio and the credit file.
WARNINGS_URL = reverse_lazy("risk_warnings:queue")


def _desk(ctx: Context) -> None:
    """The risk desk (portfolio, lists, report): the capability, a declared purpose and a credit policy for it."""
    if ctx.actor is None or not allows(ctx.roles, RISK_DESK, VIEW):
        raise Http404()  # UI.md: never a page that ends in "forbidden"
    _data(ctx)


def _data(ctx: Context) -> None:
    engine.require_purpose(ctx)
    if not engine.can(ctx, CREDIT, VIEW):
        raise Http404()


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


@require_safe
@login_required
def portfolio(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _desk(ctx)
    book_now = selectors.portfolio(ctx)
    return render(request, "risk/portfolio.html", {"book": book_now, "chart": book_now.chart(), "warnings_url": WARNINGS_URL})


def _page(request: AppRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


@require_safe
@login_required
def files(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _desk(ctx)
    form = FileFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = shapes.FileFilters(tier=data.get("tier") or "", held=bool(data.get("held")), review_due=bool(data.get("review_due")))
    found = selectors.list_files(ctx, filters, page=_page(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "risk/files.html", {"page": found, "form": form, "query": query.urlencode()})


def _file_context(ctx: Context, file_id: uuid.UUID, hold_form: ForcedHoldForm | None) -> dict[str, Any]:
    view = selectors.credit_file(ctx, file_id)
    may_hold = view.may_change and engine.can(ctx, CREDIT, CHANGE)
    return {
        "f": view,
        "hold_form": (hold_form or ForcedHoldForm()) if may_hold else None,
        "desk": allows(ctx.roles, RISK_DESK, VIEW),
        "warnings_url": WARNINGS_URL,
        "today": clock.today(),
    }


@require_safe
@login_required
def file_detail(request: AppRequest, file_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _data(ctx)
    try:
        context = _file_context(ctx, file_id, None)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "risk/file.html", context)


@require_POST
@login_required
def place_hold(request: AppRequest, file_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _data(ctx)
    if not engine.can(ctx, CREDIT, CHANGE):
        raise Http404()
    form = ForcedHoldForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            holds.place_forced_hold(ctx, file_id=file_id, reason_code=form.cleaned_data["reason_code"], note=form.cleaned_data["note"])
        except NotFound:
            raise Http404() from None
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = exc.status
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = exc.status
        else:
            messages.success(request, _("Forced hold placed. Only an approved release lifts it."))
            return HttpResponseRedirect(reverse("risk:file", args=[file_id]))
    try:
        context = _file_context(ctx, file_id, form)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "risk/file.html", context, status=status)


@require_safe
@login_required
def score_detail(request: AppRequest, score_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _data(ctx)
    try:
        view = selectors.score_detail(ctx, score_id, language=_language())
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "risk/score.html", {"s": view, "english": _language() == "en"})


@require_safe
@login_required
def reviews(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _desk(ctx)
    return render(request, "risk/reviews.html", {"rows": selectors.reviews_due(ctx), "horizon": selectors.REVIEW_HORIZON_DAYS})


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(request: AppRequest) -> tuple[dt.date, str]:
    """The month asked for (``?month=YYYY-MM``), else the current one; an error message for a malformed or future one."""
    current = book.month_start(clock.today())
    raw = request.GET.get("month", "").strip()
    if not raw:
        return current, ""
    m = _MONTH.match(raw)
    try:
        chosen = dt.date(int(m.group(1)), int(m.group(2)), 1) if m else None
    except ValueError:
        chosen = None
    if chosen is None:
        return current, _("Choose a month as YYYY-MM.")
    if chosen > current:
        return current, _("The report covers past and current months only.")
    return chosen, ""


@require_safe
@login_required
def report(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _desk(ctx)
    month, error = _month(request)
    found = selectors.monthly_report(ctx, month)
    context = {
        "r": found,
        "month_text": month.strftime("%Y-%m"),
        "previous": book.previous_month(month).strftime("%Y-%m"),
        "next": book.next_month(month).strftime("%Y-%m") if book.next_month(month) <= book.month_start(clock.today()) else "",
        "error": error,
        "charts": report_pdf_module.charts(found),
        "warnings_url": WARNINGS_URL,
    }
    return render(request, "risk/report.html", context, status=400 if error else 200)


@require_safe
@login_required
def report_pdf(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _desk(ctx)
    month, error = _month(request)
    if error:
        messages.error(request, error)
        return HttpResponseRedirect(reverse("risk:report"))
    with transaction.atomic():  # a PDF that fails to render disclosed nothing: its read event rolls back with it
        found = selectors.monthly_report(ctx, month, output="pdf")
        pdf = report_pdf_module.render_pdf(found, _language())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="risk-report-{month:%Y-%m}.pdf"'
    return response
