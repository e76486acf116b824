"""Administrators help stuck users: unlock, temporary password, second-factor reset (with a second person's
approval where the role requires a second factor). The rules live in ``accounts/resets.py``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clientvault.accounts import resets
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


def _refused(request: HttpRequest, exc: DomainError) -> None:
    """Forbidden and missing answer alike (404); a refusal the administrator can act on is a message."""
    if isinstance(exc, PermissionDenied | NotFound):
        raise Http404
    if isinstance(exc, ValidationFailed):
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
    else:
        messages.error(request, str(exc))


@require_POST
@login_required
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        resets.unlock_user(ctx=_ctx(request), user_id=user_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The user was unlocked and may sign in again."))
    return redirect("accounts:user_edit", user_id=user_id)


@require_POST
@login_required
def user_password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        target, temporary = resets.reset_password(ctx=_ctx(request), user_id=user_id)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("accounts:user_edit", user_id=user_id)
    response = render(request, "accounts/password_reset_done.html", {"target": target, "temporary": temporary})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def user_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        pending = resets.reset_mfa(ctx=_ctx(request), user_id=user_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        if pending is None:
            messages.success(request, _("The second factor was removed; the user sets up a new one at the next sign-in."))
        else:
            messages.info(request, _("The reset waits for a second person: another administrator or a compliance officer approves it."))
    return redirect("accounts:user_edit", user_id=user_id)


@require_safe
@login_required
def mfa_resets(request: HttpRequest) -> HttpResponse:
    try:
        pending = list(resets.pending_requests(_ctx(request)))
    except PermissionDenied:
        raise Http404 from None
    return render(request, "accounts/mfa_resets.html", {"pending": pending})


@require_POST
@login_required
def mfa_reset_decide(request: HttpRequest, request_id: str) -> HttpResponse:
    ctx = _ctx(request)
    try:
        if request.POST.get("action") == "cancel":
            resets.cancel_mfa_reset(ctx=ctx, request_id=request_id)
            messages.info(request, _("The second-factor reset was turned down."))
        else:
            resets.approve_mfa_reset(ctx=ctx, request_id=request_id)
            messages.success(request, _("Approved: the second factor was removed."))
    except DomainError as exc:
        _refused(request, exc)
    return redirect("accounts:mfa_resets")
