"""Request plumbing: request ids, the actor's context, and the second-factor gate."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from clientvault import context as cv_context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
Handler = Callable[[HttpRequest], HttpResponse]


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR") or "")


def channel_for(request: HttpRequest) -> str:
    return "api" if request.path.startswith("/api/") else "web"


class RequestIdMiddleware:
    """Accept a well-formed X-Request-ID or make one; echo it; expose it to logs and audit."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = cv_context.set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            cv_context.reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class ActorContextMiddleware:
    """Build the ``Context`` of a signed-in user; API token requests get theirs from the API auth."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            ctx = cv_context.for_user(
                user,  # type: ignore[arg-type]
                channel=channel_for(request),
                request_id=request.request_id,  # type: ignore[attr-defined]
                ip=client_ip(request),
            )
        else:
            ctx = cv_context.Context(actor=None, request_id=request.request_id, ip=client_ip(request), channel=channel_for(request))  # type: ignore[attr-defined]
        request.cv_ctx = ctx  # type: ignore[attr-defined]
        with cv_context.activate(ctx):
            return self.get_response(request)


_MFA_EXEMPT = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/i18n/", "/health")


class MfaRequiredMiddleware:
    """Users whose roles require a second factor reach nothing else until they pass it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from clientvault.accounts.services import confirmed_device, mfa_required

        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT)
            and mfa_required(user)  # type: ignore[arg-type]
            and not user.is_verified()  # type: ignore[union-attr, attr-defined]
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "mfa_required", "message": _("Verify your second factor first."), "request_id": request.request_id}},  # type: ignore[attr-defined]
                    status=403,
                )
            name = "accounts:mfa_verify" if confirmed_device(user) else "accounts:mfa_setup"  # type: ignore[arg-type]
            return HttpResponseRedirect(reverse(name))
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
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or language)
        response.headers.setdefault("Vary", "Cookie")
        return response
