"""The field catalogue: compliance reads and changes classifications; auditors read them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clientvault.access.policies import CHANGE, MANAGE_CLASSIFICATION, VIEW, allows
from clientvault.classification import services
from clientvault.classification.forms import ClassificationForm
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.core.catalogues import edit_versioned
from clientvault.core.http import AppRequest, ctx_of


@require_safe
@login_required
def catalogue(request: AppRequest) -> HttpResponse:
    if not allows(ctx_of(request).roles, MANAGE_CLASSIFICATION, VIEW):
        raise Http404
    context = {"rows": FieldClassification.objects.all(), "can_edit": allows(ctx_of(request).roles, MANAGE_CLASSIFICATION, CHANGE)}
    return render(request, "classification/catalogue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AppRequest, field_key: str) -> HttpResponse:
    key = field_key
    ctx = ctx_of(request)
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
