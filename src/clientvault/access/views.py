"""The purpose catalogue and the access policies ("who may see what"): compliance reads and changes them;
auditors read them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access import engine, proposals, services
from clientvault.access.forms import NewPolicyForm, PolicyForm, PurposeForm
from clientvault.access.labels import ACTION_LABELS, DECISION_LABELS, RESOURCE_LABELS, SCOPE_LABELS
from clientvault.access.models import Policy, PolicyChange, Purpose
from clientvault.access.policies import CHANGE, MANAGE_POLICIES, MANAGE_PURPOSES, VIEW, Scope, allows
from clientvault.core.catalogues import edit_view
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, ValidationFailed
from clientvault.core.forms import apply_errors


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


@require_safe
@login_required
def purposes(request: HttpRequest) -> HttpResponse:
    if not allows(_ctx(request).roles, MANAGE_PURPOSES, VIEW):
        raise Http404
    context = {"rows": Purpose.objects.all(), "can_edit": allows(_ctx(request).roles, MANAGE_PURPOSES, CHANGE)}
    return render(request, "access/purposes.html", context)


purpose_edit = edit_view(
    Purpose,
    may_edit=lambda request: allows(_ctx(request).roles, MANAGE_PURPOSES, CHANGE),
    save=lambda request, code, data, reason: services.change_purpose(ctx=_ctx(request), code=code, data=data, reason=reason),
    form_class=PurposeForm,
    saved_message=gettext_lazy("The purpose was saved as a new version."),
    success_url="access:purposes",
    template="access/purpose_edit.html",
)


def _field_matrix(purpose: str, roles: list[str]) -> list[dict[str, Any]]:
    """For each catalogued customer field, what each role sees under ``purpose`` on an ordinary and on a
    core row, read from the compiled rules (the same decision ``PolicySet.decide`` enforces)."""
    from clientvault.classification.models import FieldClassification

    rules = engine.policies()
    language = get_language()
    out = []
    for fc in FieldClassification.objects.filter(key__startswith="customer."):
        cells = []
        for role in roles:
            views = [rules.in_scope_view(role, purpose, cls) for cls in (fc.jrt_class, "C3")]
            cells.append(
                [{"decision": v.decision, "label": DECISION_LABELS[v.decision], "reveal": v.revealable} for v in views if v is not None]
            )
        out.append({"key": fc.key, "label": fc.label(language), "jrt_class": fc.jrt_class, "cells": cells})
    return out


@require_safe
@login_required
def policies(request: HttpRequest) -> HttpResponse:
    """Who may see what: every rule, and per purpose the decision each role gets for each field."""
    ctx = _ctx(request)
    if not allows(ctx.roles, MANAGE_POLICIES, VIEW):
        raise Http404
    from clientvault.accounts.models import Role

    language = get_language()
    purposes = list(Purpose.objects.filter(active=True))
    chosen = request.GET.get("purpose") or (purposes[0].code if purposes else "")
    roles = list(Role.objects.all())
    role_codes = [r.code for r in roles]
    role_names = {r.code: (r.name_en if (language or "").startswith("en") else r.name_zh) for r in roles}
    purpose_names = {p.code: p.name(language) for p in Purpose.objects.all()}
    rows = [
        {
            "row": p,
            "role": role_names.get(p.role, p.role),
            "resource": RESOURCE_LABELS.get(p.resource, p.resource),
            "actions": [ACTION_LABELS.get(a, a) for a in p.actions],
            "purposes": [purpose_names.get(code, code) for code in p.purposes],
            "scope": SCOPE_LABELS.get(Scope(p.scope), p.scope),
            "masking": [(cls, DECISION_LABELS.get(how, how)) for cls, how in p.masking.items()],
        }
        for p in Policy.objects.all()
    ]
    context = {
        "rows": rows,
        "role_names": role_names,
        "roles": roles,
        "purposes": purposes,
        "chosen": chosen,
        "matrix": _field_matrix(chosen, role_codes),
        "can_edit": allows(ctx.roles, MANAGE_POLICIES, CHANGE),
        "proposals": proposals.pending(ctx),
        "me": ctx.actor_id,
    }
    return render(request, "access/policies.html", context)


def _saved(result: object) -> str:
    if isinstance(result, PolicyChange):
        return _("The change widens sight: it takes effect when a second compliance officer approves it.")
    return _("The policy was saved as a new version.")


@login_required
@require_POST
def policy_change_decide(request: HttpRequest, change_id: str) -> HttpResponse:
    """A second compliance officer approves or rejects a proposed policy change, with a reason."""
    ctx = _ctx(request)
    if not allows(ctx.roles, MANAGE_POLICIES, CHANGE):
        raise Http404
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    try:
        if action == "approve":
            proposals.approve(ctx=ctx, change_id=change_id, reason=reason)
            messages.success(request, _("The change was approved and is in force."))
        elif action == "reject":
            proposals.reject(ctx=ctx, change_id=change_id, reason=reason)
            messages.success(request, _("The change was rejected."))
        else:
            raise ValidationFailed({"action": [_("Approve or reject.")]})
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for msgs in exc.fields.values() for m in msgs))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("access:policies")


policy_edit = edit_view(
    Policy,
    may_edit=lambda request: allows(_ctx(request).roles, MANAGE_POLICIES, CHANGE),
    save=lambda request, code, data, reason: services.change_policy(
        ctx=_ctx(request), code=code, data=PolicyForm.to_policy(data), reason=reason
    ),
    form_class=PolicyForm,
    initial=PolicyForm.initial_from,
    saved_message=_saved,
    success_url="access:policies",
    template="access/policy_edit.html",
)


@login_required
@require_http_methods(["GET", "POST"])
def policy_create(request: HttpRequest) -> HttpResponse:
    """Add an access rule; it takes effect on the next request and is versioned and audited."""
    ctx = _ctx(request)
    if not allows(ctx.roles, MANAGE_POLICIES, CHANGE):
        raise Http404
    form = NewPolicyForm(request.POST or None, initial={"active": True, "scope": int(Scope.OWN)})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code, reason = data.pop("code"), data.pop("reason")
        try:
            result = services.create_policy(ctx=ctx, code=code, data=NewPolicyForm.to_policy(data), reason=reason)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _saved(result) if isinstance(result, PolicyChange) else _("The policy was added."))
            return redirect("access:policies")
    return render(request, "access/policy_new.html", {"form": form})
