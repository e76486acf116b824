"""Staff pages of data-subject requests (issue #15): the dashboard by due date, a request's clock and parts,
staff intake, and the decisions (verify identity, extend, refuse, retry a part, take over). Views parse input
and call services and selectors; out of sight == missing (404)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.core.capabilities import CHANGE, CREATE, RIGHTS_REQUESTS, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.rights import requests, selectors
from clientvault.rights.choices import RequestKind, Status
from clientvault.rights.request_forms import ExtendForm, RefuseForm, StaffRequestForm, VerifyForm


def _ctx(request: AppRequest, action: str = VIEW) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, RIGHTS_REQUESTS, action):
        raise Http404  # no link leads here without the capability (UI.md): missing, not forbidden
    return ctx


@require_safe
@login_required
def dashboard(request: AppRequest) -> HttpResponse:
    ctx = _ctx(request)
    filters = selectors.RequestFilters(
        status=request.GET.get("status", ""), kind=request.GET.get("kind", ""), flagged=request.GET.get("flagged") == "1"
    )
    rows = selectors.request_list(ctx, filters)
    counts = {u: sum(1 for r in rows if r.urgency == u) for u in ("overdue", "due_soon", "flagged")}
    context: dict[str, Any] = {
        "rows": rows, "filters": filters, "counts": counts, "kinds": RequestKind.choices, "statuses": Status.choices,
        "may_create": allows(ctx.roles, RIGHTS_REQUESTS, CREATE),
    }  # fmt: skip
    return render(request, "rights/staff/dashboard.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def new(request: AppRequest) -> HttpResponse:
    ctx = _ctx(request, CREATE)
    initial = {"customer": request.GET.get("customer", "")}
    form = StaffRequestForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = requests.submit_request(
                    ctx=ctx, customer_id=data["customer"], kind=data["kind"], channel=data["channel"], jurisdiction=data["jurisdiction"],
                    text=data["text"], changes=form.changes(), purpose=data["purpose"],
                    verification_method=data["verification_method"], language=get_language() or "zh-hans",
                )  # fmt: skip
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except (NotFound, PermissionDenied) as exc:
                raise Http404 from exc  # a customer out of sight answers like a missing one
            else:
                messages.success(request, _("The request is logged. Its clock has started."))
                return redirect("rights_staff:detail", rights_request_id=row.pk)
        status = 400
    return render(request, "rights/staff/new.html", {"form": form}, status=status)


@require_safe
@login_required
def detail(request: AppRequest, rights_request_id: uuid.UUID) -> HttpResponse:
    ctx = _ctx(request)
    try:
        view = selectors.get_request(ctx, rights_request_id)
    except NotFound as exc:
        raise Http404 from exc
    may_decide = allows(ctx.roles, RIGHTS_REQUESTS, CHANGE)
    context: dict[str, Any] = {
        "r": view, "may_decide": may_decide and view.is_open, "may_download": may_decide,
        "verify_form": VerifyForm(), "extend_form": ExtendForm(), "refuse_form": RefuseForm(),
        "may_extend": view.jurisdiction == "EU" and view.extended_due_on is None,
    }  # fmt: skip
    return render(request, "rights/staff/detail.html", context)


def _decide(request: AppRequest, rights_request_id: uuid.UUID, form_class: Any, act: Any, done: str) -> HttpResponse:
    ctx = _ctx(request, CHANGE)  # only the compliance team decides; anyone else meets a missing page
    form = form_class(request.POST) if form_class is not None else None
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("rights_staff:detail", rights_request_id=rights_request_id)
    try:
        act(ctx, form.cleaned_data if form is not None else {})
    except ValidationFailed as exc:
        for errors in exc.fields.values():
            for error in errors:
                messages.error(request, str(error))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise Http404 from exc
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("rights_staff:detail", rights_request_id=rights_request_id)


@require_POST
@login_required
def verify(request: AppRequest, rights_request_id: uuid.UUID) -> HttpResponse:
    def act(ctx: Context, data: dict[str, Any]) -> None:
        requests.verify_identity(ctx=ctx, request_id=rights_request_id, method=data["method"])

    return _decide(request, rights_request_id, VerifyForm, act, _("Identity verified. The clock runs again."))


@require_POST
@login_required
def extend(request: AppRequest, rights_request_id: uuid.UUID) -> HttpResponse:
    def act(ctx: Context, data: dict[str, Any]) -> None:
        requests.extend(ctx=ctx, request_id=rights_request_id, reason=data["reason"])

    return _decide(request, rights_request_id, ExtendForm, act, _("The deadline is extended; tell the customer the reasons."))


@require_POST
@login_required
def refuse(request: AppRequest, rights_request_id: uuid.UUID) -> HttpResponse:
    def act(ctx: Context, data: dict[str, Any]) -> None:
        requests.refuse(ctx=ctx, request_id=rights_request_id, code=data["code"], text=data["text"])

    return _decide(request, rights_request_id, RefuseForm, act, _("The request is refused; the customer sees the reasons."))


@require_POST
@login_required
def retry(request: AppRequest, rights_request_id: uuid.UUID) -> HttpResponse:
    part = request.POST.get("part", "")

    def act(ctx: Context, data: dict[str, Any]) -> None:
        requests.retry_part(ctx=ctx, request_id=rights_request_id, part_kind=part)

    return _decide(request, rights_request_id, None, act, _("The part will run again."))


@require_POST
@login_required
def take(request: AppRequest, rights_request_id: uuid.UUID) -> HttpResponse:
    def act(ctx: Context, data: dict[str, Any]) -> None:
        requests.take_over(ctx=ctx, request_id=rights_request_id)

    return _decide(request, rights_request_id, None, act, _("You handle this request now."))


@require_safe
@login_required
def download(request: AppRequest, rights_request_id: uuid.UUID, part: str) -> HttpResponse:
    ctx = _ctx(request)
    try:
        found = selectors.download_part(ctx, rights_request_id, part)
    except DomainError as exc:
        raise Http404 from exc
    response = HttpResponse(found.data, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["Cache-Control"] = "no-store"
    return response
