"""Lifecycle desk pages (issue #15): retention rules (list, version history, propose a change, decide a pending
change), legal holds (list, place, request a lift, decide a lift) and the restricted customers (PIPL-47).

Views parse input and call the lifecycle's services and selectors; every write leaves its audit event there.
Default deny: a role without the capability gets 404 (never a page that ends in "forbidden"); maker ≠ checker
is enforced by the services (rule 12) and said to the user as a flash message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clientvault.access.models import Purpose
from clientvault.access.purposes import LegalBasis
from clientvault.core.capabilities import CHANGE, LEGAL_HOLDS, RESTRICTED_RECORDS, RETENTION_RULES, VIEW, allows
from clientvault.core.catalogues import seeded_text
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, ValidationFailed
from clientvault.core.http import AppRequest, ctx_of
from clientvault.lifecycle import holds, queries, rules, selectors
from clientvault.lifecycle.models import (
    Category,
    EndAction,
    HoldBasis,
    HoldStatus,
    RetentionRule,
    RetentionRuleChange,
    RetentionRuleVersion,
    StartEvent,
)


def _require(ctx: Context, capability: str, action: str = VIEW) -> None:
    if not allows(ctx.roles, capability, action):
        raise Http404


def _error(request: AppRequest, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed):
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
    else:
        messages.error(request, str(exc))


def _reason(reason: str) -> str:
    return _("Seeded from RULES.md") if reason == "RULES.md (issue #15)" else reason


# --- Retention rules (PIPL-19; a change that lowers protection needs a second compliance officer, rule 12) ----


@require_safe
@login_required
def rule_list(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, RETENTION_RULES)
    history: dict[str, list[RetentionRuleVersion]] = defaultdict(list)
    for version in RetentionRuleVersion.objects.select_related("changed_by").order_by("code", "-version"):
        history[version.code].append(version)
    language = get_language()
    purposes = {p.code: p.name(language) for p in Purpose.objects.all()}
    ends = dict(EndAction.choices)
    rows = [
        {
            "rule": rule,
            "purpose": purposes.get(rule.purpose, rule.purpose),
            "basis": str(LegalBasis(rule.legal_basis).label) if rule.legal_basis in LegalBasis.values else rule.legal_basis,
            "description": seeded_text(rule.description),  # a seeded description in the reader's language
            "versions": [(v, ends.get(str(v.snapshot.get("end_action")), ""), _reason(v.reason)) for v in history.get(rule.code, [])],
        }
        for rule in RetentionRule.objects.order_by("category", "code")
    ]
    pending = RetentionRuleChange.objects.filter(status=RetentionRuleChange.Status.PENDING).select_related("proposed_by")
    context = {
        "rows": rows,
        "pending": pending,
        "categories": Category.choices,
        "start_events": StartEvent.choices,
        "end_actions": EndAction.choices,
        "bases": LegalBasis.choices,
        "may_change": allows(ctx.roles, RETENTION_RULES, CHANGE),
    }
    return render(request, "lifecycle/rules.html", context)


@require_POST
@login_required
def rule_propose(request: AppRequest, retention_code: str) -> HttpResponse:
    """A new version of a rule, or a proposal for a second compliance officer when it lowers protection."""
    ctx = ctx_of(request)
    _require(ctx, RETENTION_RULES, CHANGE)
    fields = ("category", "purpose", "legal_basis", "period_months", "start_event", "end_action", "citation", "description")
    data = {f: request.POST[f] for f in fields if f in request.POST}
    try:
        result = rules.change_rule(ctx=ctx, code=retention_code, data=data, reason=request.POST.get("reason", ""))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _error(request, exc)
    else:
        if isinstance(result, RetentionRuleChange):
            messages.success(request, _("The change lowers protection: a second compliance officer decides it."))
        else:
            messages.success(request, _("The retention rule was changed."))
    return redirect("lifecycle:rules")


@require_POST
@login_required
def rule_change_decide(request: AppRequest, retention_change_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, RETENTION_RULES, CHANGE)
    action = request.POST.get("action", "")
    if action not in ("approve", "reject"):
        raise Http404
    try:
        rules.decide(ctx=ctx, change_id=retention_change_id, approve=action == "approve")
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _error(request, exc)
    else:
        if action == "approve":
            messages.success(request, _("The retention rule change was approved and is in force."))
        else:
            messages.success(request, _("The retention rule change was rejected."))
    return redirect("lifecycle:rules")


# --- Legal holds (AML-34, GDPR-17(3)): the caller's legal entity; lifting is maker ≠ checker --------------------


@require_safe
@login_required
def hold_list(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, LEGAL_HOLDS)
    rows = list(queries.holds_for(ctx).select_related("placed_by", "lift_requested_by").order_by("-placed_at")[:200])
    context = {
        "holds": rows,
        "bases": HoldBasis.choices,
        "categories": Category.choices,
        "may_change": allows(ctx.roles, LEGAL_HOLDS, CHANGE),
        "ACTIVE": HoldStatus.ACTIVE,
        "LIFT_REQUESTED": HoldStatus.LIFT_REQUESTED,
    }
    return render(request, "lifecycle/holds.html", context)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise ValidationFailed({"date": [_("Give dates as YYYY-MM-DD.")]}) from None


@require_POST
@login_required
def hold_place(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, LEGAL_HOLDS, CHANGE)
    post = request.POST
    try:
        customer_id = uuid.UUID(post.get("customer_id", "").strip())
    except ValueError:
        messages.error(request, _("Give the customer's ID (as shown on the customer record)."))
        return redirect("lifecycle:holds")
    try:
        holds.place_hold(
            ctx, customer_id=customer_id, basis=post.get("basis", ""), reference=post.get("reference", ""),
            starts_on=_date(post.get("starts_on", "")), until=_date(post.get("until", "")), category=post.get("category", ""),
        )  # fmt: skip
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Hold placed: the customer cannot be erased while it holds."))
    return redirect("lifecycle:holds")


@require_POST
@login_required
def hold_lift(request: AppRequest, hold_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, LEGAL_HOLDS, CHANGE)
    try:
        holds.request_lift(ctx, hold_id=hold_id, reason=request.POST.get("reason", ""))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Lift requested: the hold stays until another officer decides."))
    return redirect("lifecycle:holds")


@require_POST
@login_required
def hold_decide(request: AppRequest, lifting_hold_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, LEGAL_HOLDS, CHANGE)
    action = request.POST.get("action", "")
    if action not in ("approve", "reject"):
        raise Http404
    try:
        holds.decide_lift(ctx, hold_id=lifting_hold_id, approve=action == "approve")
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _error(request, exc)
    else:
        if action == "approve":
            messages.success(request, _("The legal hold was lifted."))
        else:
            messages.success(request, _("The hold stays in force."))
    return redirect("lifecycle:holds")


# --- Restricted customers (PIPL-47, GDPR-18): compliance only ----------------------------------------------------


@require_safe
@login_required
def restricted_list(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, RESTRICTED_RECORDS)
    rows = selectors.restricted_customers(ctx)
    return render(request, "lifecycle/restricted.html", {"rows": rows})
