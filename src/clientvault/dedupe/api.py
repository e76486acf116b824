"""The duplicate review queue over JSON: the queue, one cluster's evidence, and dismissing a cluster."""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Router, Status

from clientvault.access.policies import Decision
from clientvault.core.http import AppRequest, ctx_of
from clientvault.dedupe import selectors, services
from clientvault.dedupe.choices import ClusterStatus
from clientvault.dedupe.models import DuplicateCluster
from clientvault.dedupe.schemas import (
    DuplicateClusterDetailOut,
    DuplicateClusterOut,
    DuplicateDismissIn,
    DuplicateFieldOut,
    DuplicateMemberOut,
    DuplicatePairOut,
    DuplicateQueueOut,
)

router = Router(tags=["duplicates"])


def _cluster(c: DuplicateCluster, agreeing: list[str]) -> DuplicateClusterOut:
    return DuplicateClusterOut(
        id=c.pk,
        status=ClusterStatus(c.status),
        best_probability=c.best_probability,
        size=c.size,
        agreeing=agreeing,
        updated_at=c.updated_at,
    )


def _text(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@router.get("/duplicates", response=DuplicateQueueOut, summary="The duplicate review queue, most likely first")
def duplicate_queue(request: AppRequest, status: ClusterStatus = ClusterStatus.OPEN, page: int = 1) -> DuplicateQueueOut:
    found = selectors.queue_page(ctx_of(request), status=status, page=max(1, min(page, 100_000)))
    return DuplicateQueueOut(
        items=[_cluster(c, found.agreeing.get(c.pk, [])) for c in found.items], page=found.number, pages=found.num_pages, total=found.total
    )


@router.get("/duplicates/{cluster_id}", response=DuplicateClusterDetailOut, summary="A cluster: members as your policy shows them, pairs")
def duplicate_cluster(request: AppRequest, cluster_id: uuid.UUID) -> DuplicateClusterDetailOut:
    found = selectors.evidence(ctx_of(request), cluster_id)
    members = []
    for m in found.members:
        views: dict[str, Any] = getattr(m, "field_views", {})
        fields = {}
        for f in found.fields:
            view = views.get(f)
            decision = Decision(view.decision) if view is not None else Decision.WITHHELD
            fields[f] = DuplicateFieldOut(value=None if decision is Decision.WITHHELD else _text(getattr(m, f, None)), decision=decision)
        members.append(DuplicateMemberOut(customer_id=m.pk, fields=fields))
    pairs = [
        DuplicatePairOut(
            left_id=p.left_id,
            right_id=p.right_id,
            probability=p.probability,
            **{k: list(p.evidence.get(k, [])) for k in ("agree", "partial", "disagree", "missing")},
        )
        for p in found.pairs
    ]
    best = next((list(p.evidence.get("agree", [])) for p in found.pairs), [])
    return DuplicateClusterDetailOut(cluster=_cluster(found.cluster, best), members=members, pairs=pairs)


@router.post(
    "/duplicates/{cluster_id}/dismiss", response={204: None}, summary="Mark a cluster as not duplicates (remembered by later scans)"
)
def dismiss_cluster(request: AppRequest, cluster_id: uuid.UUID, payload: DuplicateDismissIn) -> Status[None]:
    services.dismiss(ctx_of(request), cluster_id, reason=payload.reason)
    return Status(204, None)
