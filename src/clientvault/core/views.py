"""Error pages in the user's language; never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        code = {400: "bad_request", 403: "permission_denied", 404: "not_found", 500: "server_error"}.get(status, "error")
        return JsonResponse({"error": {"code": code, "message": message, "request_id": getattr(request, "request_id", "")}}, status=status)
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, _("Form expired"), _("The form was open too long or came from elsewhere. Reload the page and try again."))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Not allowed"), _("You do not have permission to perform this action."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Not found"), _("The page or record does not exist, or you may not see it."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("Something went wrong"), _("The error was logged. Quote the request id when you report it."))


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
