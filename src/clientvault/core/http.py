"""The request as our middleware leaves it: one typed class instead of attributes guessed at every use.

Django's ``HttpRequest`` knows nothing of what the middleware stack adds (``clientvault.middleware``,
django-htmx, django-otp, the API's auth classes). ``AppRequest`` declares those attributes, so views annotate
``request: AppRequest`` and read ``request.cv_ctx`` or ``request.htmx`` with their types checked, and
``ctx_of`` / ``signed_in_user`` replace the per-module copies that each needed a ``type: ignore``.

Middleware and ninja auth classes receive a plain ``HttpRequest`` (their signatures are Django's and
ninja's); they call ``app_request`` once, the single place where the request is declared to be ours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from clientvault.accounts.models import User
    from clientvault.core.context import Context


class AppRequest(HttpRequest):
    """A request that went through the middleware of ``settings.MIDDLEWARE``.

    Only for typing: nothing instantiates it; Django's request object carries these attributes at run time.
    """

    # RequestIdMiddleware: the accepted X-Request-ID, or one made for this request.
    request_id: str
    # ActorContextMiddleware (replaced by the API auth for token and X-Purpose requests): who acts, why.
    cv_ctx: Context
    # ActorContextMiddleware: the user's open break-glass window (an ``access.BreakGlassSession``; core imports
    # no domain app) when the session's purpose is break-glass, else None.
    cv_break_glass: Model | None
    # LanguageMiddleware: the language chosen for this request.
    LANGUAGE_CODE: str
    # django-htmx's HtmxMiddleware: truthy on requests made by htmx.
    htmx: HtmxDetails
    # AUTH_USER_MODEL is accounts.User (a type-only import, as core/context.py's ``Context.actor``); django-otp
    # adds ``is_verified`` to the instance but keeps its class.
    user: User | AnonymousUser


def app_request(request: HttpRequest) -> AppRequest:
    """``request`` as the middleware stack leaves it (for code whose signature Django or ninja fixes)."""
    return cast("AppRequest", request)


def ctx_of(request: HttpRequest) -> Context:
    """The context of this request (ARCHITECTURE.md "How a request flows": services take it as ``ctx``)."""
    return app_request(request).cv_ctx


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user; only for views behind ``login_required`` (an anonymous request is refused)."""
    user = app_request(request).user
    if not user.is_authenticated:
        raise PermissionDenied
    return user
