"""The compliance desk for role grants: pending grants, approve or reject each with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clientvault.access.policies import CHANGE, ROLE_GRANTS, allows
from clientvault.accounts import grants
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


@require_safe
@login_required
def role_grants(request: HttpRequest) -> HttpResponse:
    try:
        pending, decided = grants.grants_for_review(_ctx(request))
    except PermissionDenied:
        raise Http404 from None
    return render(request, "accounts/role_grants.html", {"pending": pending, "decided": decided, "me": request.user.pk})


@login_required
@require_POST
def role_grant_decide(request: HttpRequest, grant_id: str) -> HttpResponse:
    ctx = _ctx(request)
    action = request.POST.get("action")
    decide = grants.approve if action == "approve" else grants.reject if action == "reject" else None
    try:
        if decide is None:
            raise ValidationFailed({"action": [_("Approve or reject.")]})
        decide(ctx=ctx, grant_id=grant_id, reason=request.POST.get("reason", ""))
    except (NotFound, PermissionDenied) as exc:
        if isinstance(exc, NotFound) or not allows(ctx.roles, ROLE_GRANTS, CHANGE):
            raise Http404 from None
        messages.error(request, str(exc))
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for msgs in exc.fields.values() for m in msgs))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The role was granted.") if action == "approve" else _("The role grant was rejected."))
    return redirect("accounts:role_grants")
