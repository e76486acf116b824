"""Request plumbing: request ids, the actor's context, and the second-factor gate."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from clientvault.access import breakglass, engine
from clientvault.access.engine import PurposeRequired
from clientvault.access.landing import landing_url
from clientvault.access.policies import BREAK_GLASS, CUSTOMER, VIEW
from clientvault.accounts.services import confirmed_device, mfa_required
from clientvault.audit import denied
from clientvault.core import context as cv_context
from clientvault.core.http import AppRequest, app_request, signed_in_user
from clientvault.core.web import PURPOSE_SESSION_KEY, PURPOSE_SWITCH_SESSION_KEY, channel_for, client_ip
from clientvault.rights import portal

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Accept a well-formed X-Request-ID or make one; echo it; expose it to logs and audit."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        app_request(request).request_id = request_id
        token = cv_context.set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            cv_context.reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response Django makes (static files are served before this by
    WhiteNoise): staff pages, reveals, the API and the portal carry personal data, and neither the browser's
    cache, its back button nor a shared proxy may keep a copy (PIPL-51 security measures). Marking every dynamic
    response, rather than picking the personal ones, cannot miss a new page."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response


def session_purpose(request: AppRequest, ctx: cv_context.Context) -> cv_context.Context:
    """The purpose chosen for this browser session, if it is still allowed (ARCHITECTURE.md rule 3).

    A break-glass purpose holds only while the user's window is open; when it has run out the window is
    closed (audited) and the purpose dropped, so the next page asks again.
    """

    purpose = request.session.get(PURPOSE_SESSION_KEY, "") if hasattr(request, "session") else ""
    if not purpose or ctx.actor is None:
        return ctx
    if purpose == BREAK_GLASS:
        window = breakglass.active_session(ctx)
        if window is not None and engine.may_break_glass(ctx):
            request.cv_break_glass = window
            return ctx.with_purpose(purpose)
        breakglass.end(ctx=ctx, cause="revoked" if window is not None else "expired")
    elif purpose in engine.allowed_purposes(ctx):
        return ctx.with_purpose(purpose)
    request.session.pop(PURPOSE_SESSION_KEY, None)
    return ctx


class ActorContextMiddleware:
    """Build the ``Context`` of a signed-in user (with the session's purpose); API token requests get
    theirs from the API auth."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, http_request: HttpRequest) -> HttpResponse:
        request = app_request(http_request)
        request.cv_break_glass = None
        if request.user.is_authenticated:
            from clientvault.access import engine

            user = signed_in_user(request)
            stamps = engine.load_actor(user)  # roles and catalogue stamps: one round trip
            ctx = cv_context.for_user(user, channel=channel_for(request), request_id=request.request_id, ip=client_ip(request))
            engine.remember_stamps(ctx, stamps)
            ctx = session_purpose(request, ctx)
        else:
            ctx = cv_context.Context(actor=None, request_id=request.request_id, ip=client_ip(request), channel=channel_for(request))
        request.cv_ctx = ctx
        with cv_context.activate(ctx):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A page that needs customer data without a declared purpose sends the user to the picker."""

        if isinstance(exception, PurposeRequired) and not request.path.startswith("/api/"):
            from django.utils.http import urlencode

            # Come back to a page: the one the user was on when the request was not a page load.
            back = request.get_full_path()
            if request.method != "GET":
                current = urlparse(request.headers.get("HX-Current-URL") or request.headers.get("Referer") or "")
                back = (current.path + (f"?{current.query}" if current.query else "")) if current.path else ""
            target = reverse("access:choose_purpose") + ("?" + urlencode({"next": back}) if back else "")
            if getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return None


class DeniedAccessMiddleware:
    """Every 404 of a matched route is a denied access — missing and out of scope answer alike, and
    both are recorded (ARCHITECTURE.md rules 4 and 11; issue #11). This is the one place it happens,
    for pages, the API and the portal: the response is already built and the view's transaction rolled
    back, so ``audit.denied`` writes the event in a transaction of its own, within its per-actor bound.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404:
            record_denied_access(request)
        return response


def record_denied_access(request: HttpRequest) -> None:
    import logging

    from django.db import DatabaseError

    match = getattr(request, "resolver_match", None)
    ctx: cv_context.Context | None = getattr(request, "cv_ctx", None)
    if match is None or ctx is None or not match.view_name:
        return  # no route matched (a mistyped address names no object), or no context to record with
    if match.namespace == "rights":
        try:
            ids = frozenset(uuid.UUID(str(i)) for i in request.session.get(portal.SUBJECT_KEY) or [])
        except ValueError:
            ids = frozenset()
        ctx = portal.context(request, ids)
    object_type, object_id, detail = _url_object(match.kwargs)
    try:
        denied.record_denied(ctx, route=match.view_name, object_type=object_type, object_id=object_id, detail=detail)
    except DatabaseError:
        # The answer stays 404 either way; a trail that cannot be written shows in the logs and alerts.
        logging.getLogger(__name__).exception("could not record a denied access to %s", match.view_name)


def _url_object(kwargs: dict[str, object]) -> tuple[str, str, dict[str, object]]:
    """The object a URL names, as given: the last (most specific) ``*_id`` argument is the object, the
    other arguments go to ``detail``. Only ids and codes are kept — a value that could be personal data
    (digits, free text typed into the address) is replaced by a ``<name>_malformed`` flag."""
    object_type = object_id = ""
    detail: dict[str, object] = {}
    for name, value in kwargs.items():
        text = _id_or_code(value)
        if not text and value not in (None, ""):
            detail[f"{name}_malformed"] = True
        if name.endswith("_id"):
            if object_type and object_id:
                detail[f"{object_type}_id"] = object_id  # an enclosing object, e.g. the customer of a follow-up
            object_type, object_id = name.removesuffix("_id"), text
        elif text:
            # A number (calendar/<int:year>/) stays a number: audit detail takes counts, not digit strings.
            detail[name] = value if isinstance(value, int) and not isinstance(value, bool) else text
    return object_type, object_id, detail


_CODE = re.compile(r"^[a-z_][a-z0-9_.:-]{0,63}$")  # as audit detail accepts: starts with a letter


def _id_or_code(value: object) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return str(value)
    text = str(value)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    return text if _CODE.match(text) else ""


_MFA_EXEMPT = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/i18n/", "/health")
_PASSWORD_EXEMPT = (*_MFA_EXEMPT, "/accounts/profile/")


class MfaRequiredMiddleware:
    """Users whose roles require a second factor reach nothing else until they pass it; users given a temporary
    password reach nothing but their profile until they have changed it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:

        request = app_request(request)
        user = request.user
        if (
            user.is_authenticated and not request.path.startswith(_MFA_EXEMPT) and mfa_required(user) and not user.is_verified()  # type: ignore[attr-defined]  # django-otp adds it to the user
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "mfa_required", "message": _("Verify your second factor first."), "request_id": request.request_id}},
                    status=403,
                )
            name = "accounts:mfa_verify" if confirmed_device(user) else "accounts:mfa_setup"
            return HttpResponseRedirect(reverse(name))
        if user.is_authenticated and getattr(user, "must_change_password", False) and not request.path.startswith(_PASSWORD_EXEMPT):
            # A temporary password from an administrator: nothing else until the user chose their own.
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "password_change_required",
                            "message": _("Change your temporary password first."),
                            "request_id": request.request_id,
                        }
                    },
                    status=403,
                )
            return HttpResponseRedirect(reverse("accounts:profile"))
        return self.get_response(request)


class LanguageMiddleware:
    """zh-Hans by default, English on request: the language cookie (set by the switch or at
    sign-in from the user's preference) decides; the browser's Accept-Language does not."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        supported = {code for code, _name in settings.LANGUAGES}
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        app_request(request).LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or language)
        response.headers.setdefault("Vary", "Cookie")
        return response


class PurposeSwitchMiddleware:
    """After the purpose picker, the page the user came from may not be open under the new purpose (a record out
    of its scope, a form it grants no right to): instead of a 404, the customer list of the new purpose (or the
    role's start page), with a word saying why. Placed after the messages middleware."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        switched_to = request.session.pop(PURPOSE_SWITCH_SESSION_KEY, None) if hasattr(request, "session") else None
        response = self.get_response(request)
        if switched_to is None or switched_to != request.path or request.method != "GET" or response.status_code != 404:
            return response
        from django.contrib import messages

        ctx = app_request(request).cv_ctx
        target = reverse("customers:list") if ctx.purpose and engine.can(ctx, CUSTOMER, VIEW) else landing_url(ctx)
        messages.info(request, _("That page is not open under the purpose you chose, so here is where you can start."))
        return HttpResponseRedirect(target)
