"""The approvals pages (issue #13): 待审批 inbox, my requests, a request with its masked diff and trail and the
decision forms, and the approval rules catalogue. Views parse input and call the selectors and services.

A person who may not see a request, or may not take the action asked, gets 404 (rule 4: out of scope ==
missing); a refusal the person can act on (a missing reason, a request no longer waiting) is said on the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access.policies import CHANGE, VIEW, allows
from clientvault.approvals import registry, rule_catalogue, rule_changes, selectors, services
from clientvault.approvals.forms import ApprovalRuleForm, DecisionForm, InboxFilterForm, MineFilterForm, NewApprovalRuleForm
from clientvault.approvals.models import ApprovalRule, ChangeRequest, RuleChange
from clientvault.core.capabilities import APPROVAL_RULES, APPROVALS
from clientvault.core.catalogues import edit_view
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of

PER_PAGE = 25


def _require(ctx: Context, resource: str = APPROVALS, action: str = VIEW) -> None:
    if not allows(ctx.roles, resource, action):
        raise Http404


def labels() -> dict[str, str]:
    """Change type code → its label, for every registered type (a request of an unknown type shows its code)."""
    return {code: str(registry.get(code).label) for code in registry.codes()}


def _rows(requests: list[ChangeRequest]) -> list[dict[str, object]]:
    known = labels()
    return [{"r": r, "label": known.get(r.change_type, r.change_type), "sla": selectors.sla_state(r)} for r in requests]


@require_safe
@login_required
def inbox(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx)
    form = InboxFilterForm(request.GET or None, change_types=rule_catalogue.change_type_choices())
    page = Paginator(selectors.inbox(ctx, filters=form.filters()), PER_PAGE).get_page(
        form.cleaned_data.get("page") if form.is_valid() else 1
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": _rows(list(page.object_list)),
        "query": query.urlencode(),
        "counts": selectors.counts(ctx),
    }
    return render(request, "approvals/inbox.html", context)


@require_safe
@login_required
def mine(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx)
    form = MineFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") or "" if form.is_valid() else ""
    page = Paginator(selectors.mine(ctx, status=status), PER_PAGE).get_page(form.cleaned_data.get("page") if form.is_valid() else 1)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "approvals/mine.html", {"form": form, "page": page, "rows": _rows(list(page.object_list)), "query": query.urlencode()}
    )


def _page(request: AppRequest, change_request_id: uuid.UUID, form: DecisionForm | None = None, status: int = 200) -> HttpResponse:
    ctx = ctx_of(request)
    try:
        view = selectors.get_request(ctx, change_request_id)
    except NotFound:
        raise Http404 from None
    context = {"view": view, "form": form or DecisionForm()}
    return render(request, "approvals/detail.html", context, status=status)


@require_safe
@login_required
def detail(request: AppRequest, change_request_id: uuid.UUID) -> HttpResponse:
    _require(ctx_of(request))
    return _page(request, change_request_id)


def _decision_view(
    action: Callable[[Context, uuid.UUID, str], ChangeRequest], done: Callable[[ChangeRequest], str]
) -> Callable[[AppRequest, uuid.UUID], HttpResponse]:
    @require_POST
    @login_required
    def view(request: AppRequest, change_request_id: uuid.UUID) -> HttpResponse:
        ctx = ctx_of(request)
        _require(ctx)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return _page(request, change_request_id, form, status=422)
        try:
            result = action(ctx, change_request_id, form.cleaned_data.get("reason") or "")
        except (NotFound, PermissionDenied):
            raise Http404 from None  # not theirs to decide: as if it were not there (rule 4)
        except ValidationFailed as exc:
            apply_errors(form, exc)
            return _page(request, change_request_id, form, status=422)
        except (Conflict, DomainError) as exc:
            messages.error(request, str(exc))
            return redirect("approvals:detail", change_request_id=change_request_id)
        messages.success(request, done(result))
        return redirect("approvals:detail", change_request_id=change_request_id)

    return view


def _approved(result: ChangeRequest) -> str:
    if result.status == ChangeRequest.Status.APPLIED:
        return _("Approved. The change has been applied.")
    if result.status == ChangeRequest.Status.FAILED:
        return _("Approved, but the change could not be applied: %(reason)s") % {"reason": result.failure_reason}
    return _("Approved. The request now waits for the other approvers.")


approve = _decision_view(lambda ctx, rid, reason: services.approve(ctx, rid, reason=reason), _approved)
reject = _decision_view(lambda ctx, rid, reason: services.reject(ctx, rid, reason=reason), lambda r: _("The request was rejected."))
withdraw = _decision_view(lambda ctx, rid, reason: services.withdraw(ctx, rid, reason=reason), lambda r: _("The request was withdrawn."))


# --- The approval rules catalogue --------------------------------------------------------------


@require_safe
@login_required
def rules(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, APPROVAL_RULES)
    known = labels()
    rows = [{"rule": r, "label": known.get(r.change_type, r.change_type)} for r in ApprovalRule.objects.all()]
    waiting = list(rule_changes.pending(ctx))
    context = {"rows": rows, "can_edit": allows(ctx.roles, APPROVAL_RULES, CHANGE), "pending": waiting, "labels": known}
    return render(request, "approvals/rules.html", context)


rule_edit = edit_view(
    ApprovalRule,
    may_edit=lambda request: allows(ctx_of(request).roles, APPROVAL_RULES, CHANGE),
    save=lambda request, code, data, reason: rule_catalogue.change_rule(
        ctx=ctx_of(request), code=code, data=ApprovalRuleForm.to_rule(data), reason=reason
    ),
    form_class=ApprovalRuleForm,
    initial=ApprovalRuleForm.initial_from,
    saved_message=lambda result: _saved(result),
    success_url="approvals:rules",
    template="approvals/rule_edit.html",
)


def _saved(result: object) -> str:
    if isinstance(result, RuleChange):  # rule 12: a new or weaker rule is a second compliance officer's decision
        return str(_("Saved as a proposal: a second compliance officer decides it."))
    return str(_("The approval rule was saved as a new version."))


@require_POST
@login_required
def rule_change_decide(request: AppRequest, rule_change_id: uuid.UUID) -> HttpResponse:
    """A second compliance officer approves or rejects a proposed rule change, with a reason."""
    ctx = ctx_of(request)
    _require(ctx, APPROVAL_RULES, CHANGE)
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    if action not in ("approve", "reject"):
        raise Http404
    try:
        if action == "approve":
            rule_changes.approve(ctx=ctx, change_id=rule_change_id, reason=reason)
            messages.success(request, _("The rule change was approved and is in force."))
        else:
            rule_changes.reject(ctx=ctx, change_id=rule_change_id, reason=reason)
            messages.success(request, _("The rule change was rejected."))
    except NotFound:
        raise Http404 from None
    except (ValidationFailed, Conflict, PermissionDenied) as exc:
        messages.error(
            request, " ".join(str(m) for ms in exc.fields.values() for m in ms) if isinstance(exc, ValidationFailed) else str(exc)
        )
    return redirect("approvals:rules")


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, APPROVAL_RULES, CHANGE)
    form = NewApprovalRuleForm(
        request.POST or None, initial={"active": True, "priority": 100, "sla_working_days": 2, "expire_after_days": 30}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code, reason = data.pop("code"), data.pop("reason")
        try:
            result = rule_catalogue.create_rule(ctx=ctx, code=code, data=ApprovalRuleForm.to_rule(data), reason=reason)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _saved(result))
            return redirect(reverse("approvals:rules"))
    return render(request, "approvals/rule_new.html", {"form": form})
