"""The purpose picker and break-glass: how a person declares why they open customer data."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access import breakglass, engine, selectors, services
from clientvault.access.forms import BreakGlassForm, PurposeChoiceForm
from clientvault.access.landing import landing_url
from clientvault.access.models import Purpose
from clientvault.access.policies import BREAK_GLASS
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.web import PURPOSE_SESSION_KEY, PURPOSE_SWITCH_SESSION_KEY


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse("customers:list")


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """``/``: the start page of the signed-in person's role (one they may open)."""
    return redirect(landing_url(_ctx(request), break_glass=getattr(request, "cv_break_glass", None) is not None))


@login_required
@require_http_methods(["GET", "POST"])
def choose_purpose(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    allowed = engine.allowed_purposes(ctx)
    language = get_language()
    rows = list(Purpose.objects.filter(code__in=allowed))
    choices = [(p.code, p.name(language)) for p in rows]
    form = PurposeChoiceForm(request.POST or None, purposes=choices, initial={"purpose": ctx.purpose, "next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        services.select_purpose(ctx=ctx, purpose=form.cleaned_data["purpose"])
        request.session[PURPOSE_SESSION_KEY] = form.cleaned_data["purpose"]
        target = _safe_next(request, form.cleaned_data.get("next") or "")
        # The page may not be open under the new purpose: PurposeSwitchMiddleware turns its 404 into the list.
        request.session[PURPOSE_SWITCH_SESSION_KEY] = urlsplit(target).path
        return redirect(target)
    context = {"form": form, "rows": rows, "current": ctx.purpose, "may_break_glass": engine.may_break_glass(ctx)}
    return render(request, "access/choose_purpose.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_start(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    if not engine.may_break_glass(ctx):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breakglass.start(ctx=ctx, reason=form.cleaned_data["reason"], minutes=form.cleaned_data["minutes"])
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except (Conflict, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            request.session[PURPOSE_SESSION_KEY] = BREAK_GLASS
            messages.warning(request, _("Emergency access is active. Everything you open is recorded."))
            return redirect("customers:list")
    from django.conf import settings

    return render(request, "access/break_glass.html", {"form": form, "limit": settings.CLIENTVAULT_BREAK_GLASS_MAX_MINUTES})


@login_required
@require_POST
def break_glass_end(request: HttpRequest) -> HttpResponse:
    ended = breakglass.end(ctx=_ctx(request))
    if request.session.get(PURPOSE_SESSION_KEY) == BREAK_GLASS:
        request.session.pop(PURPOSE_SESSION_KEY, None)
    if ended:
        messages.success(request, _("Emergency access ended."))
    return redirect("access:choose_purpose")


@require_safe
@login_required
def break_glass_log(request: HttpRequest) -> HttpResponse:
    """Compliance and audit see every break-glass window: who, why, how long, how it ended."""
    try:
        rows = selectors.break_glass_log(_ctx(request))
    except NotFound:
        raise Http404 from None
    return render(request, "access/break_glass_log.html", {"rows": rows})
