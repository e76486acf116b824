"""Staff pages of early warning (issue #16): the risk desk's queue and one warning with its evidence, with the
acknowledge and close forms. Views parse input and call the selectors and services only (rule 1); a desk the role
does not have answers like a missing page (UI.md: never a link that ends in "forbidden")."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from clientvault.core.capabilities import CHANGE, RISK_DESK, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import StyledForm, apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import warning_selectors, warnings
from clientvault.risk.models import Severity, WarningStatus


class NoteForm(StyledForm):
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=warnings.NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


def _require(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, RISK_DESK, action):
        raise Http404()


@require_safe
@login_required
def queue(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    status = request.GET.get("status", "")
    severity = request.GET.get("severity", "")
    status = status if status in WarningStatus.values else ""
    severity = severity if severity in Severity.values else ""
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    try:
        page = warning_selectors.warning_queue(ctx, status=status, severity=severity, page=page_number)
    except PermissionDenied:
        raise Http404() from None
    context = {
        "page": page,
        "statuses": WarningStatus.choices,
        "severities": Severity.choices,
        "status": status,
        "severity": severity,
    }
    return render(request, "risk/warnings/queue.html", context)


def _detail_context(ctx: Context, warning_id: uuid.UUID, ack_form: NoteForm, close_form: NoteForm) -> dict[str, Any]:
    try:
        found = warning_selectors.get_warning(ctx, warning_id)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    can_handle = allows(ctx.roles, RISK_DESK, CHANGE)
    return {
        "w": found.row,
        "evidence": sorted(found.evidence.items()) if found.evidence else [],
        "evidence_shown": found.evidence_shown,
        "erased": found.erased,
        "notes": found.notes,
        "ack_form": ack_form if can_handle and found.row.status == WarningStatus.OPEN else None,
        "close_form": close_form if can_handle and found.row.status != WarningStatus.CLOSED else None,
    }


@require_safe
@login_required
def detail(request: AppRequest, warning_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return render(request, "risk/warnings/detail.html", _detail_context(ctx, warning_id, NoteForm(prefix="ack"), NoteForm(prefix="close")))


def _handle(request: AppRequest, warning_id: uuid.UUID, action: str) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    form = NoteForm(request.POST, prefix=action)
    if form.is_valid():
        try:
            if action == "ack":
                warnings.acknowledge(ctx, warning_id, form.cleaned_data["note"])
            else:
                warnings.close(ctx, warning_id, form.cleaned_data["note"])
        except NotFound:
            raise Http404() from None
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("risk_warnings:detail", args=[warning_id]))
        else:
            messages.success(request, _("Warning acknowledged.") if action == "ack" else _("Warning closed."))
            return HttpResponseRedirect(reverse("risk_warnings:detail", args=[warning_id]))
    forms_ = {"ack": NoteForm(prefix="ack"), "close": NoteForm(prefix="close"), action: form}
    context = _detail_context(ctx, warning_id, forms_["ack"], forms_["close"])
    return render(request, "risk/warnings/detail.html", context, status=400)


@require_POST
@login_required
def acknowledge(request: AppRequest, warning_id: uuid.UUID) -> HttpResponse:
    return _handle(request, warning_id, "ack")


@require_POST
@login_required
def close(request: AppRequest, warning_id: uuid.UUID) -> HttpResponse:
    return _handle(request, warning_id, "close")
