"""The purpose catalogue: compliance reads and changes purposes; auditors read them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientvault.access import services
from clientvault.access.forms import PurposeForm
from clientvault.access.models import Purpose, PurposeVersion
from clientvault.access.policies import CHANGE, MANAGE_PURPOSES, VIEW, allows
from clientvault.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.core.forms import apply_errors


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
    form = PurposeForm(request.POST or None, initial=services.snapshot(row))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.change_purpose(ctx=ctx, code=code, data=data, reason=reason)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The purpose was saved as a new version."))
            return redirect("access:purposes")
    history = PurposeVersion.objects.filter(code=code).select_related("changed_by")
    return render(request, "access/purpose_edit.html", {"row": row, "form": form, "history": history})
