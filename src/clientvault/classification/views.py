"""The field catalogue: compliance reads and changes classifications; auditors read them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clientvault.access.policies import CHANGE, MANAGE_CLASSIFICATION, VIEW, allows
from clientvault.classification import services
from clientvault.classification.forms import ClassificationForm
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.core.catalogues import edit_versioned
from clientvault.core.context import Context


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


@require_safe
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
    return edit_versioned(
        request,
        row=row,
        form_class=ClassificationForm,
        initial=services.snapshot(row),
        save=lambda data, reason: services.change_classification(ctx=ctx, key=key, data=data, reason=reason),
        history=FieldClassificationVersion.objects.filter(key=key),
        saved_message=_("The classification was saved as a new version."),
        success_url=reverse("classification:catalogue"),
        template="classification/edit.html",
    )
