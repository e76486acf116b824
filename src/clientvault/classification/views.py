"""The field catalogue: compliance reads and changes classifications; auditors read them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from clientvault.classification import services
from clientvault.classification.forms import ClassificationForm
from clientvault.classification.models import FieldClassification
from clientvault.core.capabilities import CHANGE, MANAGE_CLASSIFICATION, VIEW, allows
from clientvault.core.catalogues import edit_view
from clientvault.core.http import AppRequest, ctx_of


@require_safe
@login_required
def catalogue(request: AppRequest) -> HttpResponse:
    if not allows(ctx_of(request).roles, MANAGE_CLASSIFICATION, VIEW):
        raise Http404
    context = {"rows": FieldClassification.objects.all(), "can_edit": allows(ctx_of(request).roles, MANAGE_CLASSIFICATION, CHANGE)}
    return render(request, "classification/catalogue.html", context)


edit = edit_view(
    FieldClassification,
    may_edit=lambda request: allows(ctx_of(request).roles, MANAGE_CLASSIFICATION, CHANGE),
    save=lambda request, key, data, reason: services.change_classification(ctx=ctx_of(request), key=key, data=data, reason=reason),
    form_class=ClassificationForm,
    saved_message=_("The classification was saved as a new version."),
    success_url="classification:catalogue",
    template="classification/edit.html",
)
