"""Pages for the credit-control rules and the tier policy (issue #16; ARCHITECTURE.md rules 9 and 12).

Risk officers change both (``CREDIT_RULES`` change); compliance, auditors and administrators read them. A change that
tightens control is in force when saved; one that loosens it waits on the list page for a second risk officer, who
approves or rejects it with a reason. Without the capability every page answers like a missing one (404); a refused
change is said on the form (or as a message on the list), in the user's language, having written nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.core.capabilities import CHANGE, CREDIT_RULES, RISK_DESK, VIEW, allows
from clientvault.core.catalogues import keep_seeded, shown_initial
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import rule_catalogue
from clientvault.risk.models import Action, ControlRule, ControlRuleChange, TierPolicy, TierPolicyChange
from clientvault.risk.rule_catalogue import PARAMS
from clientvault.risk.rule_forms import (
    CHECKPOINTS,
    FIELD_LABELS,
    MEASURES,
    PARAM_LABELS,
    TIER_LABELS,
    MeasureForm,
    NewRuleForm,
    RuleForm,
    TierPolicyForm,
    rule_initial,
)

LIST = "risk_rules:list"
SEED_REASON = "default (issue #16)"  # the reason of the versions migrations 0002 and 0003 seeded
POLICY_FIELDS = ("model_id", "high_risk_below", "low_risk_from", "review_months_high", "review_months_medium", "review_months_low")


def _ctx(request: AppRequest, action: str = VIEW) -> Context:
    ctx = ctx_of(request)
    if ctx.actor is None or not allows(ctx.roles, CREDIT_RULES, action):
        raise Http404
    return ctx


def _sep() -> str:
    """The list separator of the user's language (、 in Chinese)."""
    return "、" if (get_language() or "").startswith("zh") else ", "


def describe_params(measure: str, params: Mapping[str, Any]) -> list[str]:
    """A rule's parameters as the page says them ("Days overdue at or above: 30")."""
    out = []
    for name, (kind, _low, _high, _laxer) in PARAMS.get(measure, {}).items():
        value = params.get(name)
        if kind == "days_by_tier" and isinstance(value, Mapping):
            text = " · ".join(f"{TIER_LABELS['unscored' if k == '' else k]} {v}" for k, v in value.items())
        elif kind == "tiers" and isinstance(value, list):
            text = _sep().join(str(TIER_LABELS.get(t, t)) for t in value) or "—"
        elif kind == "flag":
            text = _("yes") if value else _("no")
        else:
            text = str(value)
        out.append(f"{PARAM_LABELS.get((measure, name), name)}: {text}")
    return out


def _describe(kind: str, values: Mapping[str, Any] | None, fields: Iterable[str]) -> dict[str, str]:
    """The changed values of a rule or policy, field by field, in words."""
    if values is None:
        return {}
    out: dict[str, str] = {}
    for f in fields:
        value = values.get(f)
        if kind == "rule" and f == "params":
            out[f] = "; ".join(describe_params(str(values.get("measure")), value or {}))
        elif f == "checkpoints":
            out[f] = _sep().join(str(CHECKPOINTS.get(c, c)) for c in value or [])
        elif f == "measure":
            out[f] = str(MEASURES.get(str(value), value))
        elif f == "active":
            out[f] = _("in force") if value else _("switched off")
        elif f == "action":
            out[f] = str(Action(value).label) if value in Action.values else str(value)
        else:
            out[f] = "" if value is None else str(value)
    return out


def _pending_rows(ctx: Context) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    current: dict[str, Any] = {r.code: r for r in ControlRule.objects.all()}
    current.update({f"policy:{p.code}": p for p in TierPolicy.objects.all()})
    for kind, model in (("rule", ControlRuleChange), ("policy", TierPolicyChange)):
        for change in model.objects.filter(status=model.Status.PENDING).select_related("proposed_by").order_by("proposed_at"):
            row = current.get(change.code if kind == "rule" else f"policy:{change.code}")
            before = row.snapshot() if row is not None else None
            fields = list(change.fields)
            was, will = _describe(kind, before, fields), _describe(kind, change.proposed, fields)
            diff = [(FIELD_LABELS.get(f, f), was.get(f, ""), will.get(f, ""), f in (change.lowers or [])) for f in fields]
            rows.append({"kind": kind, "change": change, "diff": diff, "own": change.proposed_by_id == ctx.actor_id})
    return rows


@require_safe
@login_required
def rule_list(request: AppRequest) -> HttpResponse:
    ctx = _ctx(request)
    rules = [
        {
            "rule": r,
            "measure": MEASURES.get(r.measure, r.measure),
            "params": describe_params(r.measure, r.params or {}),
            "checkpoints": _sep().join(str(CHECKPOINTS.get(c, c)) for c in r.checkpoints or []),
        }
        for r in ControlRule.objects.order_by("code")
    ]
    context = {
        "tab": "rules",
        "rules": rules,
        "policies": TierPolicy.objects.order_by("code"),
        "pending": _pending_rows(ctx),
        "may_change": allows(ctx.roles, CREDIT_RULES, CHANGE),
        "desk": allows(ctx.roles, RISK_DESK, VIEW),
    }
    return render(request, "risk/rules/list.html", context)


def _saved(request: AppRequest, result: object) -> HttpResponse:
    if isinstance(result, ControlRuleChange | TierPolicyChange):
        messages.success(request, _("The change loosens credit control: a second risk officer decides it."))
    else:
        messages.success(request, _("The change is in force."))
    return redirect(LIST)


def _history(versions: Any, kind: str) -> list[dict[str, Any]]:
    out = []
    for v in versions.select_related("changed_by"):
        snapshot = v.snapshot or {}
        fields = ("action", "checkpoints", "params", "active") if kind == "rule" else POLICY_FIELDS
        reason = _("Seeded default") if v.reason == SEED_REASON else v.reason
        values = _describe(kind, snapshot, fields)
        if kind == "policy":  # bare numbers say nothing: each with its label
            values = {f: f"{FIELD_LABELS.get(f, f)}: {text}" for f, text in values.items()}
        out.append({"version": v, "reason": reason, "values": values})
    return out


def _form_page(request: AppRequest, template_context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "risk/rules/form.html", template_context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AppRequest, control_rule_code: str) -> HttpResponse:
    ctx = _ctx(request, CHANGE)
    row = ControlRule.objects.filter(code=control_rule_code).first()
    if row is None:
        raise Http404
    initial = rule_initial(row.snapshot())
    form = RuleForm(request.POST or None, measure=row.measure, initial=shown_initial(initial))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                data = keep_seeded(form.values(), initial)
                result = rule_catalogue.change_rule(ctx=ctx, code=row.code, data=data, reason=form.cleaned_data["reason"])
            except (NotFound, PermissionDenied):
                raise Http404 from None
            except ValidationFailed as exc:
                form.param_errors(exc)
                status = exc.status
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                return _saved(request, result)
    context = {
        "title": _("Credit-control rule %(code)s") % {"code": row.code},
        "intro": MEASURES.get(row.measure, row.measure),
        "form": form,
        "history": _history(row.history(), "rule"),
    }
    return _form_page(request, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: AppRequest) -> HttpResponse:
    ctx = _ctx(request, CHANGE)
    measure = request.GET.get("measure", "")
    if measure not in MEASURES:  # step 1: what the rule measures decides its parameters
        picker = MeasureForm(request.GET or None) if "measure" in request.GET else MeasureForm()
        if "measure" in request.GET:
            picker.is_valid()
        return _form_page(request, {"title": _("New credit-control rule"), "picker": picker}, 422 if "measure" in request.GET else 200)
    form = NewRuleForm(request.POST or None, measure=measure, initial={"active": True})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = rule_catalogue.create_rule(
                    ctx=ctx, code=form.cleaned_data["code"], data=form.values(), reason=form.cleaned_data["reason"]
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationFailed as exc:
                form.param_errors(exc)
                status = exc.status
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                return _saved(request, result)
    return _form_page(request, {"title": _("New credit-control rule"), "intro": MEASURES[measure], "form": form}, status)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: AppRequest, tier_policy_code: str) -> HttpResponse:
    ctx = _ctx(request, CHANGE)
    row = TierPolicy.objects.filter(code=tier_policy_code).first()
    if row is None:
        raise Http404
    form = TierPolicyForm(request.POST or None, initial=row.snapshot())
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in POLICY_FIELDS}
            try:
                result = rule_catalogue.change_policy(ctx=ctx, code=row.code, data=data, reason=form.cleaned_data["reason"])
            except (NotFound, PermissionDenied):
                raise Http404 from None
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = exc.status
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                return _saved(request, result)
    context = {
        "title": _("Tier policy %(code)s") % {"code": row.code},
        "intro": _("Score thresholds of the risk tiers and how often each tier is reviewed."),
        "note": _(
            "A change that lowers protection (a lower threshold for either tier, longer review intervals, another "
            "scorecard) is not in force until a second risk officer approves it."
        ),
        "form": form,
        "history": _history(row.history(), "policy"),
    }
    return _form_page(request, context, status)


@require_POST
@login_required
def change_decide(request: AppRequest, credit_change_kind: str, credit_change_id: uuid.UUID) -> HttpResponse:
    ctx = _ctx(request, CHANGE)
    action = request.POST.get("action", "")
    if credit_change_kind not in rule_catalogue.FLOWS or action not in ("approve", "reject"):
        raise Http404
    decide = rule_catalogue.approve if action == "approve" else rule_catalogue.reject
    try:
        decide(credit_change_kind, ctx=ctx, change_id=credit_change_id, reason=request.POST.get("reason", ""))
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if action == "approve":
            messages.success(request, _("The change was approved and is in force."))
        else:
            messages.success(request, _("The change was rejected."))
    return redirect(LIST)
