"""The field catalogue: compliance reads and changes classifications; auditors read them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientvault.access.policies import CHANGE, MANAGE_CLASSIFICATION, VIEW, allows
from clientvault.classification import services
from clientvault.classification.forms import ClassificationForm
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.core.forms import apply_errors


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    if not allows(_ctx(request).roles, MANAGE_CLASSIFICATION, VIEW):
        raise Http404
    context = {"rows": FieldClassification.objects.all(), "can_edit": allows(_ctx(request).roles, MANAGE_CLASSIFICATION, CHANGE)}
    return render(request, "classification/catalogue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, field_key: str) -> HttpResponse:
    key = field_key
    ctx = _ctx(request)
    if not allows(ctx.roles, MANAGE_CLASSIFICATION, CHANGE):
        raise Http404
    row = FieldClassification.objects.filter(key=key).first()
    if row is None:
        raise Http404
    form = ClassificationForm(request.POST or None, initial=services.snapshot(row))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.change_classification(ctx=ctx, key=key, data=data, reason=reason)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The classification was saved as a new version."))
            return redirect("classification:catalogue")
    history = FieldClassificationVersion.objects.filter(key=key).select_related("changed_by")
    return render(request, "classification/edit.html", {"row": row, "form": form, "history": history})
