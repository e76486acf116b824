"""The duplicate review queue and a cluster's evidence. Views parse input and call selectors and services."""

from __future__ import annotations

import uuid

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clientvault.core.capabilities import CHANGE, DUPLICATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.dedupe import presenting, selectors, services
from clientvault.dedupe.choices import ClusterStatus
from clientvault.dedupe.forms import DismissForm


def _require(ctx: Context, action: str) -> None:
    # A capability the role lacks answers like a missing page (UI.md: never a link that ends in "forbidden").
    if ctx.actor is None or not allows(ctx.roles, DUPLICATES, action):
        raise Http404()


def propose_merge_url(cluster_id: uuid.UUID) -> str | None:
    """The merge proposal page for this cluster, once the merges app (issue #14, slice E) is installed."""
    if not apps.is_installed("clientvault.merges"):
        return None
    try:
        return reverse("merges:propose") + f"?cluster={cluster_id}"
    except NoReverseMatch:
        return None


def _page(request: AppRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_safe
@login_required
def queue(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    status = request.GET.get("status", ClusterStatus.OPEN)
    if status not in ClusterStatus.values:
        status = ClusterStatus.OPEN
    page = selectors.queue_page(ctx, status=status, page=_page(request))
    context = {
        "page": page,
        "rows": [presenting.queue_row(c, page.agreeing.get(c.pk, [])) for c in page.items],
        "status": status,
        "statuses": [(s.value, s.label) for s in ClusterStatus],
        "last_scan": selectors.last_scan(ctx),
    }
    return render(request, "dedupe/queue.html", context)


@require_safe
@login_required
def cluster(request: AppRequest, cluster_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return _render_cluster(request, ctx, cluster_id, DismissForm())


def _render_cluster(request: AppRequest, ctx: Context, cluster_id: uuid.UUID, form: DismissForm, status: int = 200) -> HttpResponse:
    try:
        found = selectors.evidence(ctx, cluster_id)
    except NotFound:
        raise Http404() from None
    context = {
        "evidence": found,
        "cluster": found.cluster,
        "members": presenting.members(found),
        "field_labels": presenting.labels(list(found.fields)),
        "pairs": presenting.pairs(found),
        "form": form,
        "can_change": allows(ctx.roles, DUPLICATES, CHANGE) and found.cluster.status == ClusterStatus.OPEN,
        "propose_url": propose_merge_url(found.cluster.pk) if found.cluster.status == ClusterStatus.OPEN else None,
    }
    return render(request, "dedupe/cluster.html", context, status=status)


@require_POST
@login_required
def dismiss(request: AppRequest, cluster_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, CHANGE)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _render_cluster(request, ctx, cluster_id, form, status=400)
    try:
        services.dismiss(ctx, cluster_id, reason=form.cleaned_data["reason"])
    except (NotFound, PermissionDenied):
        raise Http404() from None
    except DomainError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("dedupe:cluster", args=[cluster_id]))
    messages.success(request, _("Marked as not duplicates. Later scans will not raise these records again unless new evidence appears."))
    return HttpResponseRedirect(reverse("dedupe:queue"))
