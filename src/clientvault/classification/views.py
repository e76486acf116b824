"""The field catalogue: compliance reads and changes classifications; auditors read them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from clientvault.access.policies import CHANGE, MANAGE_CLASSIFICATION, VIEW, allows
from clientvault.classification import services
from clientvault.classification.forms import ClassificationForm
from clientvault.classification.models import FieldClassification
from clientvault.core.catalogues import edit_view
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


edit = edit_view(
    FieldClassification,
    may_edit=lambda request: allows(_ctx(request).roles, MANAGE_CLASSIFICATION, CHANGE),
    save=lambda request, key, data, reason: services.change_classification(ctx=_ctx(request), key=key, data=data, reason=reason),
    form_class=ClassificationForm,
    saved_message=_("The classification was saved as a new version."),
    success_url="classification:catalogue",
    template="classification/edit.html",
)
