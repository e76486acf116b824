"""The risk officer's pages for limits, payment terms, hold releases and reviews (issue #16, slice "limits").

Each page is a form: GET shows it, POST calls the service and redirects (to the change request waiting for others,
or to the credit file), or shows the form again with the service's messages on their fields, in the user's language,
having written nothing. Without the risk desk, or out of the file's scope, a page answers like a missing one (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientvault.core.capabilities import CHANGE, RISK_DESK, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import hold_release as releases
from clientvault.risk import limits, reviews
from clientvault.risk.limit_forms import LimitForm, ReleaseForm, ReviewForm, TermsForm, to_minor

TEMPLATE = "risk/limits/form.html"


def _desk(request: AppRequest) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, RISK_DESK, CHANGE):
        raise Http404
    return ctx


def _file_url(file_id: uuid.UUID) -> str:
    return f"/risk/files/{file_id}/"


def _page(request: AppRequest, form: Any, *, title: str, intro: str, submit: str, back: str, status: int = 200) -> HttpResponse:
    context = {"form": form, "title": title, "intro": intro, "submit": submit, "back": back}
    return render(request, TEMPLATE, context, status=status)


def _submit(request: AppRequest, form: Any, act: Callable[[Mapping[str, Any]], tuple[str, str]]) -> tuple[HttpResponse | None, int]:
    """A POST: validate the form and call the service (``act`` answers the success message and where to go). Returns the
    redirect, or None and the status to show the form again with the service's messages (nothing was written)."""
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 422
    try:
        message, url = act(form.cleaned_data)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    except DomainError as exc:
        return None, _refused(form, exc)
    messages.success(request, message)
    return HttpResponseRedirect(url), 200


def _refused(form: Any, exc: DomainError) -> int:
    if isinstance(exc, ValidationFailed):
        apply_errors(form, exc)
    else:
        form.add_error(None, str(exc))
    return exc.status


@login_required
@require_http_methods(["GET", "POST"])
def limit_new(request: AppRequest, credit_file_id: uuid.UUID) -> HttpResponse:
    ctx = _desk(request)
    from clientvault.assets import fx

    try:
        currency = limits.file_currency(ctx, credit_file_id)
    except NotFound:
        raise Http404 from None
    form = LimitForm(request.POST or None)

    def act(data: Mapping[str, Any]) -> tuple[str, str]:
        try:
            amount = to_minor(data["amount"], fx.exponent(currency))
        except ValueError:
            raise ValidationFailed({"amount": [_("Enter an amount of zero or more.")]}) from None
        change = limits.propose_limit(
            ctx,
            file_id=credit_file_id,
            kind=data["kind"],
            amount_minor=amount,
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            reason=data["reason"],
        )
        return _("The limit change waits for another person's approval."), reverse("approvals:detail", args=[change.pk])

    done, status = _submit(request, form, act)
    if done is not None:
        return done
    return _page(
        request,
        form,
        title=_("Change the credit limit"),
        intro=_("Amounts in %(currency)s. Every limit change is approved by someone else; large amounts also by compliance.")
        % {"currency": currency},
        submit=_("Submit for approval"),
        back=_file_url(credit_file_id),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def terms_change(request: AppRequest, credit_file_id: uuid.UUID) -> HttpResponse:
    ctx = _desk(request)
    try:
        limits.file_currency(ctx, credit_file_id)  # the file is in the person's scope
    except NotFound:
        raise Http404 from None
    form = TermsForm(request.POST or None)

    def act(data: Mapping[str, Any]) -> tuple[str, str]:
        outcome = limits.change_terms(ctx, file_id=credit_file_id, days=data["days"], reason=data["reason"])
        if outcome.request is not None:
            return _("Longer payment terms wait for another person's approval."), reverse("approvals:detail", args=[outcome.request.pk])
        return _("The payment terms were changed."), _file_url(credit_file_id)

    done, status = _submit(request, form, act)
    if done is not None:
        return done
    return _page(
        request,
        form,
        title=_("Change the payment terms"),
        intro=_("Shorter terms apply at once; longer terms are approved by another risk officer."),
        submit=_("Change the payment terms"),
        back=_file_url(credit_file_id),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def hold_release(request: AppRequest, credit_hold_id: uuid.UUID) -> HttpResponse:
    ctx = _desk(request)
    try:
        file_id = releases.hold_file(ctx, credit_hold_id)
    except NotFound:
        raise Http404 from None
    form = ReleaseForm(request.POST or None)

    def act(data: Mapping[str, Any]) -> tuple[str, str]:
        change = releases.request_hold_release(ctx, hold_id=credit_hold_id, reason=data["reason"])
        return _("The release waits for the decision of someone who did not place the hold."), reverse("approvals:detail", args=[change.pk])

    done, status = _submit(request, form, act)
    if done is not None:
        return done
    return _page(
        request,
        form,
        title=_("Ask for a credit hold to be released"),
        intro=_("A forced hold is released only when someone other than you and the person who placed it approves."),
        submit=_("Submit for approval"),
        back=_file_url(file_id),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_complete(request: AppRequest, credit_review_id: uuid.UUID) -> HttpResponse:
    ctx = _desk(request)
    try:
        review = reviews.review_for_completion(ctx, credit_review_id)
    except NotFound:
        raise Http404 from None
    form = ReviewForm(request.POST or None)

    def act(data: Mapping[str, Any]) -> tuple[str, str]:
        reviews.complete_review(ctx, review_id=credit_review_id, outcome=data["outcome"], note=data["note"], tier=data["tier"] or None)
        return _("The review was completed."), _file_url(review.credit_file_id)

    done, status = _submit(request, form, act)
    if done is not None:
        return done
    return _page(
        request,
        form,
        title=_("Complete the credit review"),
        intro=_("The next review date follows the risk tier (tier policy)."),
        submit=_("Complete the review"),
        back=_file_url(review.credit_file_id),
        status=status,
    )
