"""The merge pages (issue #14): propose a merge (records side by side, survivor, per-field picks), a merge's
lineage with its unmerge button, and the survivorship rules. Views parse input and call selectors and services.

Out of sight == missing (rule 4): a record or merge the viewer may not see answers 404.
"""

from __future__ import annotations

import importlib
import uuid

from django.apps import apps as django_apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.core.capabilities import CHANGE, DUPLICATES, SURVIVORSHIP_RULES, VIEW, allows
from clientvault.core.catalogues import keep_seeded
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.http import AppRequest, ctx_of
from clientvault.customers.choices import Source
from clientvault.merges import rule_catalogue, selectors, services
from clientvault.merges.models import Merge, Rule, SurvivorshipChange, SurvivorshipRule


def _require(ctx: Context, action: str = VIEW) -> None:
    if not allows(ctx.roles, DUPLICATES, action):
        raise Http404


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def _cluster_ids(ctx: Context, cluster: uuid.UUID) -> list[uuid.UUID]:
    """The members of a duplicate cluster the viewer may open (slice D's selector; absent app: none)."""
    if not django_apps.is_installed("clientvault.dedupe"):
        return []
    try:
        dedupe = importlib.import_module("clientvault.dedupe.selectors")
    except ImportError:
        return []
    found = dedupe.cluster_for(ctx, cluster)
    return [m.customer_id for m in found.members.all()]


def _ids(request: AppRequest, ctx: Context, source: dict[str, list[str]]) -> tuple[list[uuid.UUID], uuid.UUID | None]:
    raw = [part for value in source.get("ids", []) for part in value.split(",") if part.strip()]
    ids = [i for i in (_uuid(p) for p in raw) if i is not None]
    cluster = _uuid((source.get("cluster") or [""])[0])
    if cluster is not None and not ids:
        ids = _cluster_ids(ctx, cluster)
    return list(dict.fromkeys(ids)), cluster


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: AppRequest) -> HttpResponse:
    """GET: the records side by side with each rule's choice preselected. POST: submit the merge request."""
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    source = dict(request.POST.lists() if request.method == "POST" else request.GET.lists())
    try:
        ids, cluster = _ids(request, ctx, source)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        survivor = _uuid(request.POST.get("survivor", "")) or (ids[0] if ids else None)
        ordered = ([survivor] if survivor in ids else []) + [i for i in ids if i != survivor]
        picks = {k[len("pick_") :]: v for k, v in ((k, _uuid(request.POST.get(k, ""))) for k in request.POST if k.startswith("pick_")) if v}
        try:
            change = services.propose(ctx, ordered, picks=picks, reason=request.POST.get("reason", ""), cluster_id=cluster)
        except (NotFound, PermissionDenied):
            raise Http404 from None
        except ValidationFailed as exc:
            errors = [str(m) for ms in exc.fields.values() for m in ms]
            status = 422
        except DomainError as exc:
            errors, status = [str(exc)], 409
        else:
            messages.success(request, _("The merge was proposed. A compliance officer decides it."))
            return redirect("approvals:detail", change_request_id=change.pk)
    if len(ids) < 2:
        return render(
            request,
            "merges/propose.html",
            {"comparison": None, "errors": errors or [_("Choose at least two records to merge.")]},
            status=422,
        )
    try:
        survivor_id = _uuid(request.POST.get("survivor", "")) if request.method == "POST" else None
        comparison = selectors.compare(ctx, ids, survivor_id=survivor_id)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    context = {"comparison": comparison, "errors": errors, "cluster": cluster, "reason": request.POST.get("reason", "")}
    return render(request, "merges/propose.html", context, status=status)


@require_safe
@login_required
def detail(request: AppRequest, merge_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx)
    try:
        view = selectors.get_merge(ctx, merge_id)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    may_unmerge = allows(ctx.roles, DUPLICATES, CHANGE) and not view.unmerge_blocked and view.merge.status == "applied"
    return render(request, "merges/detail.html", {"view": view, "may_unmerge": may_unmerge})


@require_POST
@login_required
def unmerge(request: AppRequest, merge_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    merge = selectors.visible_merges(ctx).filter(pk=merge_id).first()
    if merge is None:
        raise Http404
    try:
        change = services.propose_unmerge(ctx, merge, request.POST.get("reason", ""))
    except (NotFound, PermissionDenied):
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
        return redirect("merges:detail", merge_id=merge_id)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("merges:detail", merge_id=merge_id)
    messages.success(request, _("The unmerge was requested. A compliance officer decides it."))
    return redirect("approvals:detail", change_request_id=change.pk)


@require_safe
@login_required
def rules(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    if not (allows(ctx.roles, DUPLICATES, VIEW) or allows(ctx.roles, SURVIVORSHIP_RULES, VIEW)):
        raise Http404
    context = {
        "rules": SurvivorshipRule.objects.all(),
        "choices": Rule.choices,
        "sources": Source.choices,
        "pending": SurvivorshipChange.objects.filter(status=SurvivorshipChange.Status.PENDING).select_related("proposed_by"),
        "may_change": allows(ctx.roles, SURVIVORSHIP_RULES, CHANGE),
    }
    return render(request, "merges/rules.html", context)


@require_POST
@login_required
def rule_edit(request: AppRequest, field: str) -> HttpResponse:
    """Propose a new version of a field's rule (a second compliance officer decides it)."""
    ctx = ctx_of(request)
    if not allows(ctx.roles, SURVIVORSHIP_RULES, CHANGE):
        raise Http404
    order = [s for s in request.POST.get("source_order", "").replace("，", ",").split(",") if s.strip()]
    data = {"rule": request.POST.get("rule", ""), "source_order": order, "description": request.POST.get("description", "")}
    current = SurvivorshipRule.objects.filter(field=field).first()
    if current is not None:
        keep_seeded(data, current.snapshot())  # the translated seeded description, unchanged, stays the stored one
    try:
        rule_catalogue.change_rule(ctx=ctx, field=field, data=data, reason=request.POST.get("reason", ""))
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved as a proposal: a second compliance officer decides it."))
    return redirect("merges:rules")


@require_POST
@login_required
def rule_change_decide(request: AppRequest, survivorship_change_id: uuid.UUID) -> HttpResponse:
    """A second compliance officer approves or rejects a proposed survivorship rule change, with a reason."""
    ctx = ctx_of(request)
    if not allows(ctx.roles, SURVIVORSHIP_RULES, CHANGE):
        raise Http404
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    if action not in ("approve", "reject"):
        raise Http404
    try:
        if action == "approve":
            rule_catalogue.approve(ctx=ctx, change_id=survivorship_change_id, reason=reason)
            messages.success(request, _("The rule change was approved and is in force."))
        else:
            rule_catalogue.reject(ctx=ctx, change_id=survivorship_change_id, reason=reason)
            messages.success(request, _("The rule change was rejected."))
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("merges:rules")


@require_safe
@login_required
def index(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx)
    merges: list[Merge] = list(selectors.visible_merges(ctx)[:100])
    return render(request, "merges/index.html", {"merges": merges})
