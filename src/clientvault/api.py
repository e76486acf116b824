"""The JSON API at /api/v1/: session or personal-token auth, structured errors, OpenAPI."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from clientvault import openapi
from clientvault.access import engine
from clientvault.access.engine import PurposeNotAllowed
from clientvault.access.policies import BREAK_GLASS
from clientvault.accounts.api import router as accounts_router
from clientvault.accounts.models import User
from clientvault.accounts.services import live_token
from clientvault.approvals.api import router as approvals_router
from clientvault.assets.api import router as assets_router
from clientvault.audit.api import router as audit_router
from clientvault.calendars.api import router as calendars_router
from clientvault.consents.api import router as consents_router
from clientvault.core import context as cv_context
from clientvault.core import text
from clientvault.core.errors import DomainError, ValidationFailed
from clientvault.core.http import app_request
from clientvault.core.web import client_ip
from clientvault.customers.api import router as customers_router
from clientvault.dedupe.api import router as dedupe_router
from clientvault.intake.api import router as intake_router
from clientvault.lifecycle.api import router as lifecycle_router
from clientvault.merges.api import router as merges_router
from clientvault.rights.api import router as rights_router
from clientvault.risk.api import router as risk_router
from clientvault.risk.limit_api import router as risk_limits_router
from clientvault.risk.rule_api import router as risk_rules_router
from clientvault.risk.warning_api import router as risk_warnings_router


class SessionAuth(APIKeyCookie):
    """The browser session (CSRF enforced on unsafe methods)."""

    param_name = "cv_session"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = app_request(request).user
        ctx: cv_context.Context | None = getattr(request, "cv_ctx", None)
        if user.is_authenticated and user.is_active and ctx is not None:
            header = request.headers.get("X-Purpose", "")
            if header:
                app_request(request).cv_ctx = _with_purpose(ctx, header, allowed=None)
            elif ctx.purpose == BREAK_GLASS:  # break-glass is for reading records on screen, never the API
                raise PurposeNotAllowed()
            return user
        return None


class TokenAuth(HttpBearer):
    """A personal API token: ``Authorization: Bearer cvt_…``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = live_token(token, annotate=engine.actor_annotations)  # with the roles and catalogue stamps
        if found is None:
            return None
        stamps = engine.actor_from(found, found.user)
        ctx = cv_context.for_user(found.user, channel="api", request_id=getattr(request, "request_id", None), ip=client_ip(request))
        engine.remember_stamps(ctx, stamps)
        header = request.headers.get("X-Purpose", "")
        if header or len(found.purposes) == 1:
            ctx = _with_purpose(ctx, header or found.purposes[0], allowed=set(found.purposes))
        app_request(request).cv_ctx = ctx
        return found.user


def _with_purpose(ctx: cv_context.Context, purpose: str, *, allowed: set[str] | None) -> cv_context.Context:
    """An API request's purpose: named by X-Purpose (or the token's only purpose); it must be one the
    token carries and the user's roles may use. Break-glass is never available over the API."""

    if (allowed is not None and purpose not in allowed) or purpose not in engine.allowed_purposes(ctx):
        raise engine.PurposeNotAllowed()
    return ctx.with_purpose(purpose)


class CleanParser(Parser):
    """Input hygiene for every API input in one place (issue #11): a NUL character anywhere in the body or
    the query answers 422 on every database, and zero-width / bidirectional control characters are
    removed before validation (and so before blind indexing and storage)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        text.refuse_nul(data)  # ninja wraps this as a 400 "cannot parse"; _http_error unwraps it to the 422
        return text.clean_value(data)  # type: ignore[no-any-return]

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        text.refuse_nul(parsed)
        return text.clean_value(parsed)  # type: ignore[no-any-return]


class ClientvaultAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also lists each operation's error answers (``clientvault.openapi``)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return openapi.add_error_responses(schema, path_prefix.rstrip("/"))


api = ClientvaultAPI(
    title="clientvault API",
    version="1",
    description="Customer records with every access checked and audited. Errors: {error: {code, message, fields, request_id}}.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
    parser=CleanParser(),
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, Any] | None = None, details: Any = None
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": getattr(request, "request_id", "")}
    if fields:
        body["fields"] = fields
    if details:  # codes only (e.g. credit_blocked: the rules that fired)
        body["details"] = details
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    fields = exc.as_dict() if isinstance(exc, ValidationFailed) else None
    return _error(request, exc.status, exc.code, str(exc), fields, getattr(exc, "details", None))


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    if exc.errors and all((item.get("loc") or ("",))[0] == "path" for item in exc.errors):
        # A malformed id names no record: answer like a missing one (out of scope == missing == 404).
        return _error(request, 404, "not_found", _("Not found."))
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", []) if p not in ("body", "query", "path", "payload", "filters")]
        # Pydantic's message can echo input; keep its type only (no personal data in errors).
        fields.setdefault(".".join(loc) or "request", []).append(str(item.get("type", "invalid")))
    return _error(request, 422, "validation_failed", _("Some fields are not valid."), fields)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", _("Sign in or send a valid API token."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # refused while parsing the body (CleanParser)
        return _domain_error(request, exc.__cause__)
    return _error(request, exc.status_code, "error", str(exc))


api.add_router("/", accounts_router)
api.add_router("/", customers_router)
api.add_router("/audit", audit_router)
api.add_router("/", consents_router)
api.add_router("/", approvals_router)
api.add_router("/", assets_router)
api.add_router("/", merges_router)
api.add_router("/", dedupe_router)
api.add_router("/", intake_router)
api.add_router("/", calendars_router)
api.add_router("/", lifecycle_router)
api.add_router("/", rights_router)
api.add_router("/", risk_limits_router)
api.add_router("/", risk_rules_router)  # issue #16: the credit-control rules and tier policies (catalogues)
api.add_router("/", risk_warnings_router)  # issue #16, slice "warnings": the integrator may mount it with risk's router
api.add_router("/", risk_router)
