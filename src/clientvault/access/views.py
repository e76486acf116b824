"""The purpose catalogue: compliance reads and changes purposes; auditors read them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientvault.access import services
from clientvault.access.forms import PurposeForm
from clientvault.access.models import Purpose, PurposeVersion
from clientvault.access.policies import CHANGE, MANAGE_PURPOSES, VIEW, allows
from clientvault.context import Context
from clientvault.core.catalogues import edit_versioned


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


@login_required
def purposes(request: HttpRequest) -> HttpResponse:
    if not allows(_ctx(request).roles, MANAGE_PURPOSES, VIEW):
        raise Http404
    context = {"rows": Purpose.objects.all(), "can_edit": allows(_ctx(request).roles, MANAGE_PURPOSES, CHANGE)}
    return render(request, "access/purposes.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def purpose_edit(request: HttpRequest, code: str) -> HttpResponse:
    ctx = _ctx(request)
    if not allows(ctx.roles, MANAGE_PURPOSES, CHANGE):
        raise Http404
    row = Purpose.objects.filter(code=code).first()
    if row is None:
        raise Http404
    return edit_versioned(
        request,
        row=row,
        form_class=PurposeForm,
        initial=services.snapshot(row),
        save=lambda data, reason: services.change_purpose(ctx=ctx, code=code, data=data, reason=reason),
        history=PurposeVersion.objects.filter(code=code),
        saved_message=_("The purpose was saved as a new version."),
        success_url=reverse("access:purposes"),
        template="access/purpose_edit.html",
    )
