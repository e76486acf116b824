"""The customer portal (/portal/): sign in with a one-time code, see one's own data and consents, give or
withdraw each consent. Mobile first; zh-Hans and English. Views parse input and call services/selectors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access.models import Purpose
from clientvault.classification.catalogue import category_labels
from clientvault.consents import preconditions
from clientvault.consents import selectors as consent_selectors
from clientvault.consents import services as consent_services
from clientvault.consents.choices import CaptureChannel
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest
from clientvault.rights import portal, requests, selectors, services
from clientvault.rights.forms import CodeForm, GiveConsentForm, IdentifierForm
from clientvault.rights.request_forms import RequestDetailsForm

View = Callable[..., HttpResponse]


def signed_in(view: View) -> View:
    """Only for a signed-in customer; others go to the sign-in page."""

    @wraps(view)
    def wrapper(request: AppRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ids = portal.subject_ids(request)
        if not ids:
            return redirect("rights:sign_in")
        return view(request, portal.context(request, ids), *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def sign_in(request: AppRequest) -> HttpResponse:
    if portal.subject_ids(request):
        return redirect("rights:home")
    form = IdentifierForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            row = services.request_code(
                ctx=portal.context(request), raw_identifier=form.cleaned_data["identifier"], language=get_language()
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = 400
        except services.TooManyRequests as exc:
            form.add_error(None, str(exc))
            status = 429
        else:
            request.session[portal.PENDING_KEY] = str(row.pk)
            return redirect("rights:verify")
    elif request.method == "POST":
        status = 400
    return render(request, "rights/sign_in.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def verify(request: AppRequest) -> HttpResponse:
    pending = request.session.get(portal.PENDING_KEY)
    if not pending:
        return redirect("rights:sign_in")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ids = services.verify_code(ctx=portal.context(request), code_id=uuid.UUID(pending), code=form.cleaned_data["code"])
        except services.CodeRejected as exc:
            form.add_error("code", str(exc))
            status = 400
        else:
            portal.sign_in(request, ids)
            return redirect("rights:home")
    elif request.method == "POST":
        status = 400
    return render(request, "rights/verify.html", {"form": form}, status=status)


@require_POST
def sign_out(request: AppRequest) -> HttpResponse:
    ids = portal.subject_ids(request)
    if ids:
        services.sign_out(ctx=portal.context(request, ids))
    portal.sign_out(request)
    messages.success(request, _("You have signed out."))
    return redirect("rights:sign_in")


@require_safe
@signed_in
def home(request: AppRequest, ctx: Context) -> HttpResponse:
    records = selectors.own_records(ctx)
    return render(request, "rights/home.html", {"records": records, "portal_nav": True})


@require_safe
@signed_in
def consents(request: AppRequest, ctx: Context) -> HttpResponse:
    entities = selectors.entity_names(ctx)
    blocks = [(entities.get(cid, ""), consent_selectors.customer_consents(ctx, cid)) for cid in sorted(ctx.subject_ids)]
    return render(request, "rights/consents.html", {"blocks": blocks, "portal_nav": True})


@require_http_methods(["GET", "POST"])
@signed_in
def give(request: AppRequest, ctx: Context, customer_id: uuid.UUID, purpose: str) -> HttpResponse:
    if customer_id not in ctx.subject_ids:
        raise Http404()
    minor = selectors.is_minor(ctx, customer_id)
    notice = preconditions.notice_for(purpose, child=False)
    if minor or notice is None:
        # PIPL-31: a guardian gives a child's consent at the counter, with proof of guardianship.
        refused = {"notice": None, "minor": minor, "purpose": purpose, "portal_nav": True}
        return render(request, "rights/give.html", refused, status=409 if minor else 404)
    form = GiveConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        capture = preconditions.self_service_capture(purpose, notice)
        try:
            consent_services.give_consent(
                ctx=ctx, customer_id=customer_id, notice_id=notice.pk, capture=capture, channel=CaptureChannel.WEB
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you. Your consent is recorded; you can withdraw it here at any time."))
            return HttpResponseRedirect(reverse("rights:consents"))
    language = get_language()
    text = {part: notice.text(part, language) for part in ("body", "rights", "necessity", "impact")}
    text["title"] = notice.title(language)
    # What exactly the tick covers (PIPL-14/23/39): the purpose, the data, and any recipient or destination.
    scope = preconditions.self_service_capture(purpose, notice)
    purpose_row = Purpose.objects.filter(code=purpose).first()
    summary = {
        "purpose": purpose_row.name(language) if purpose_row else purpose,
        "categories": category_labels(scope.categories),
        "recipients": list(scope.recipients),
        "destination": scope.destination_country,
        "separate": scope.consent_type != "general",
    }
    context: dict[str, Any] = {
        "notice": notice,
        "text": text,
        "form": form,
        "purpose": purpose,
        "customer_id": customer_id,
        "summary": summary,
    }
    context["portal_nav"] = True
    return render(request, "rights/give.html", context)


@require_http_methods(["GET", "POST"])
@signed_in
def withdraw(request: AppRequest, ctx: Context, customer_id: uuid.UUID, purpose: str) -> HttpResponse:
    if customer_id not in ctx.subject_ids:
        raise Http404()
    if request.method == "POST":
        try:
            consent_services.withdraw_consent(ctx=ctx, customer_id=customer_id, purpose=purpose, channel=CaptureChannel.WEB)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your consent is withdrawn. We stop using your data for this purpose from now on."))
        return HttpResponseRedirect(reverse("rights:consents"))
    found = Purpose.objects.filter(code=purpose, needs_consent=True).first()
    if found is None:
        raise Http404()
    return render(request, "rights/withdraw.html", {"purpose": found, "customer_id": customer_id, "portal_nav": True})


# --- My requests (issue #15): the customer's data-subject requests, their status and packages --------------


@require_safe
@signed_in
def my_requests(request: AppRequest, ctx: Context) -> HttpResponse:
    rows = selectors.request_list(ctx, selectors.RequestFilters(status="all"))
    views = [selectors.get_request(ctx, r.id) for r in rows[:20]]  # each read audited (rights.request_viewed)
    return render(request, "rights/requests.html", {"rows": views, "portal_nav": True})


@require_http_methods(["GET", "POST"])
@signed_in
def new_request(request: AppRequest, ctx: Context) -> HttpResponse:
    form = RequestDetailsForm(request.POST or None, initial={"kind": request.GET.get("kind", "access")})
    status = 200
    if request.method == "POST":
        customer_id = min(ctx.subject_ids)  # the oldest record signs in first; a person with several records
        raw = request.POST.get("customer", "")  # may pick one of their own (checked by the service)
        if raw:
            try:
                customer_id = uuid.UUID(raw)
            except ValueError:
                raise Http404() from None
        if form.is_valid():
            data = form.cleaned_data
            try:
                requests.submit_request(
                    ctx=ctx, customer_id=customer_id, kind=data["kind"], channel="portal", text=data["text"],
                    changes=form.changes(), purpose=data["purpose"], language=get_language() or "zh-hans",
                )  # fmt: skip
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except NotFound as exc:
                raise Http404() from exc
            else:
                messages.success(request, _("We have received your request. You can follow it here."))
                return HttpResponseRedirect(reverse("rights:requests"))
        status = 400
    return render(request, "rights/request_new.html", {"form": form, "portal_nav": True}, status=status)


@require_safe
@signed_in
def download(request: AppRequest, ctx: Context, rights_request_id: uuid.UUID, part: str) -> HttpResponse:
    try:
        found = selectors.download_part(ctx, rights_request_id, part)
    except DomainError as exc:
        raise Http404() from exc
    response = HttpResponse(found.data, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["Cache-Control"] = "no-store"
    return response
