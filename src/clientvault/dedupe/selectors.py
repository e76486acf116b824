"""Reads of the duplicate review queue. The queue and a cluster hold ids, probabilities and field codes; a
cluster's evidence shows its members' fields as the viewer's policy decides (masked, plain or withheld)
and records one ``duplicates.viewed`` event per member shown, in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet

from clientvault.access import engine as access_engine
from clientvault.audit import recording as audit
from clientvault.core.capabilities import DUPLICATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.customers import disclosure, vault
from clientvault.customers.models import Customer
from clientvault.dedupe.choices import ClusterStatus
from clientvault.dedupe.models import ClusterMember, DuplicateCluster, DuplicateScan, MatchPair

# What the evidence shows of each member: the fields matching compares (as the policy shows them).
EVIDENCE_FIELDS = ("name", "id_number", "birth_date", "sex", "mobile", "email", "address", "uscc")
STATUSES = tuple(ClusterStatus.values)


def _require(ctx: Context) -> None:
    if ctx.actor is None or not allows(ctx.roles, DUPLICATES, VIEW):
        raise PermissionDenied()


def queue(ctx: Context, *, status: str = ClusterStatus.OPEN) -> QuerySet[DuplicateCluster]:
    """The clusters the actor may review (every member visible to them), most likely first."""
    _require(ctx)
    access_engine.require_purpose(ctx)
    qs = DuplicateCluster.objects.visible_to(ctx)
    if status in STATUSES:
        qs = qs.filter(status=status)
    return qs.order_by("-best_probability", "created_at", "pk")


def cluster_for(ctx: Context, cluster_id: uuid.UUID | str) -> DuplicateCluster:
    """One cluster the actor may see; NotFound outside their sight (like a missing one)."""
    _require(ctx)
    access_engine.require_purpose(ctx)
    try:
        pk = uuid.UUID(str(cluster_id))
    except ValueError:
        raise NotFound() from None
    found: DuplicateCluster | None = DuplicateCluster.objects.visible_to(ctx).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class QueuePage:
    items: list[DuplicateCluster]
    number: int
    num_pages: int
    total: int
    status: str
    agreeing: dict[uuid.UUID, list[str]] = field(default_factory=dict)


@transaction.atomic
def queue_page(ctx: Context, *, status: str = ClusterStatus.OPEN, page: int = 1, per_page: int = 25) -> QueuePage:
    """One page of the queue with, per cluster, the field codes its best pair agreed on; audited."""
    paginator = Paginator(queue(ctx, status=status), max(1, min(per_page, 200)))
    page_obj = paginator.get_page(page)
    items = list(page_obj.object_list)
    agreeing: dict[uuid.UUID, list[str]] = {}
    for cluster_id, evidence in (
        MatchPair.objects.filter(cluster__in=items).order_by("cluster_id", "-probability").values_list("cluster_id", "evidence")
    ):
        agreeing.setdefault(cluster_id, list((evidence or {}).get("agree", [])))
    audit.record(
        ctx,
        "duplicates.listed",
        object_type="dedupe.duplicatecluster",
        detail={"status": status if status in STATUSES else "all", "result_count": paginator.count, "rows_shown": len(items)},
    )
    return QueuePage(items, page_obj.number, paginator.num_pages, paginator.count, status, agreeing)


@dataclass
class Evidence:
    cluster: DuplicateCluster
    members: list[Customer]
    pairs: list[MatchPair]
    fields: tuple[str, ...] = EVIDENCE_FIELDS
    left_members: list[uuid.UUID] = field(default_factory=list)


@transaction.atomic
def evidence(ctx: Context, cluster: DuplicateCluster | uuid.UUID | str) -> Evidence:
    """The cluster's members with their compared fields as the viewer's policy shows them, and the pairwise
    probabilities with the field codes that agreed or disagreed. One ``duplicates.viewed`` per member."""
    found = cluster_for(ctx, cluster.pk if isinstance(cluster, DuplicateCluster) else cluster)
    active = list(ClusterMember.objects.filter(cluster=found, active=True).values_list("customer_id", flat=True))
    qs = Customer.objects.visible_to(ctx).filter(pk__in=active).select_related("owner", "department", "legal_entity")
    members = list(vault.with_key_state(qs).order_by("created_at", "pk"))
    if len(members) != len(active):  # sight changed since the queue was read: answer as for a missing cluster
        raise NotFound()
    vault.load_keys(members)
    shown, plan = disclosure.disclose(ctx, members, EVIDENCE_FIELDS)
    detail: dict[str, Any] = {"cluster_id": str(found.pk), "records": len(members), **disclosure.audit_detail(members, plan)}
    for member in members:
        audit.record(ctx, "duplicates.viewed", obj=member, customer_id=member.pk, fields=shown, detail=detail)
    pairs = list(MatchPair.objects.filter(cluster=found).order_by("-probability", "left_id", "right_id"))
    return Evidence(cluster=found, members=members, pairs=pairs)


def last_scan(ctx: Context) -> DuplicateScan | None:
    """When the queue was last refreshed (counts only)."""
    _require(ctx)
    return DuplicateScan.objects.order_by("-started_at").first()


@dataclass(frozen=True)
class ExportRow:
    cluster_id: uuid.UUID
    status: str
    probability: float
    customer_ids: list[uuid.UUID]
    agree: list[str]
    disagree: list[str]


@transaction.atomic
def export(ctx: Context, *, status: str = ClusterStatus.OPEN) -> list[ExportRow]:
    """Clusters as ids, probabilities and field codes only — no personal value leaves (the operator's CLI
    export under the system context, or a reviewer's own queue); one ``duplicates.exported`` event."""
    qs: QuerySet[DuplicateCluster]
    if ctx.actor is None and "system" in ctx.roles:
        qs = DuplicateCluster.objects.all()
        qs = qs.filter(status=status) if status in STATUSES else qs
        qs = qs.order_by("-best_probability", "created_at", "pk")
    else:
        qs = queue(ctx, status=status)
    clusters = list(qs)
    members: dict[uuid.UUID, list[uuid.UUID]] = {}
    for cluster_id, customer_id in (
        ClusterMember.objects.filter(cluster__in=clusters, active=True).order_by("customer_id").values_list("cluster_id", "customer_id")
    ):
        members.setdefault(cluster_id, []).append(customer_id)
    best: dict[uuid.UUID, dict[str, Any]] = {}
    for cluster_id, evidence_codes in (
        MatchPair.objects.filter(cluster__in=clusters).order_by("cluster_id", "-probability").values_list("cluster_id", "evidence")
    ):
        best.setdefault(cluster_id, evidence_codes or {})
    rows = [
        ExportRow(
            c.pk,
            c.status,
            c.best_probability,
            members.get(c.pk, []),
            best.get(c.pk, {}).get("agree", []),
            best.get(c.pk, {}).get("disagree", []),
        )
        for c in clusters
    ]
    audit.record(ctx, "duplicates.exported", object_type="dedupe.duplicatecluster", detail={"status": status, "rows": len(rows)})
    return rows
