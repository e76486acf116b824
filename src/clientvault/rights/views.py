"""The customer portal (/portal/): sign in with a one-time code, see one's own data and consents, give or
withdraw each consent. Mobile first; zh-Hans and English. Views parse input and call services/selectors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
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
from clientvault.core.errors import DomainError, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.rights import portal, selectors, services
from clientvault.rights.forms import CodeForm, GiveConsentForm, IdentifierForm

View = Callable[..., HttpResponse]


def signed_in(view: View) -> View:
    """Only for a signed-in customer; others go to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ids = portal.subject_ids(request)
        if not ids:
            return redirect("rights:sign_in")
        return view(request, portal.context(request, ids), *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
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
def verify(request: HttpRequest) -> HttpResponse:
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
def sign_out(request: HttpRequest) -> HttpResponse:
    ids = portal.subject_ids(request)
    if ids:
        services.sign_out(ctx=portal.context(request, ids))
    portal.sign_out(request)
    messages.success(request, _("You have signed out."))
    return redirect("rights:sign_in")


@require_safe
@signed_in
def home(request: HttpRequest, ctx: Context) -> HttpResponse:
    records = selectors.own_records(ctx)
    return render(request, "rights/home.html", {"records": records, "portal_nav": True})


@require_safe
@signed_in
def consents(request: HttpRequest, ctx: Context) -> HttpResponse:
    entities = selectors.entity_names(ctx)
    blocks = [(entities.get(cid, ""), consent_selectors.customer_consents(ctx, cid)) for cid in sorted(ctx.subject_ids)]
    return render(request, "rights/consents.html", {"blocks": blocks, "portal_nav": True})


@require_http_methods(["GET", "POST"])
@signed_in
def give(request: HttpRequest, ctx: Context, customer_id: uuid.UUID, purpose: str) -> HttpResponse:
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
def withdraw(request: HttpRequest, ctx: Context, customer_id: uuid.UUID, purpose: str) -> HttpResponse:
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
