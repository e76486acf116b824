"""The customer portal's credit pages (/portal/credit/, PIPL-24): the explanation of the automated credit decision
and asking for a person to review it. They live with the risk app (which the rights app may not import) and use the
portal's own session and frame (``rights.views.signed_in``, ``rights/_portal.html``). Views parse input and call
the selectors (``risk.explanation``) and services (``risk.human_review``) only."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clientvault.core.context import Context
from clientvault.core.errors import NotFound, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest
from clientvault.rights.views import signed_in
from clientvault.risk import explanation, human_review
from clientvault.risk.portal_forms import AskReviewForm


def _received() -> str:
    return _("We have received your request. A person will review the decision; you can follow it here and under My requests.")


def _already_open() -> str:
    return _("You have already asked for a review of this credit decision and it is still open: we answer that request.")


def _language() -> str:
    return get_language() or "zh-hans"


@require_safe
@signed_in
def overview(request: AppRequest, ctx: Context) -> HttpResponse:
    found = explanation.explain_latest(ctx, _language())
    return render(request, "rights/portal_credit.html", {"explanations": found, "portal_nav": True})


@require_safe
@signed_in
def score(request: AppRequest, ctx: Context, score_id: uuid.UUID) -> HttpResponse:
    try:
        found = explanation.explain_score(ctx, score_id, _language())
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "rights/portal_credit.html", {"explanations": [found], "single": True, "portal_nav": True})


@require_http_methods(["GET", "POST"])
@signed_in
def ask_review(request: AppRequest, ctx: Context, score_id: uuid.UUID) -> HttpResponse:
    form = AskReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                asked = human_review.open_human_review(ctx, score_id=score_id, view=form.cleaned_data["view"], language=_language())
            except NotFound as exc:
                raise Http404() from exc
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                if asked.created:
                    messages.success(request, _received())
                else:
                    messages.info(request, _already_open())
                return HttpResponseRedirect(reverse("credit_portal:score", args=[score_id]))
        status = 400
    try:
        found = explanation.explain_score(ctx, score_id, _language())
    except NotFound as exc:
        raise Http404() from exc
    context = {"explanation": found, "form": form, "portal_nav": True}
    return render(request, "rights/portal_credit_review.html", context, status=status)
