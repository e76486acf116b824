"""Every write of the duplicate review: scans, dismissals, and the outcomes of merges (each audited)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, DUPLICATES, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.dedupe import engine, reading, store
from clientvault.dedupe.choices import ClusterStatus, DismissReason, ScanKind, ScanState
from clientvault.dedupe.models import DismissedPair, DuplicateCluster, DuplicateScan, MatchPair

SCAN_FIELDS = tuple(f"customer.{f}" for f in reading.READ_FIELDS)


def _last_model_scan(legal_entity_id: uuid.UUID | None) -> DuplicateScan | None:
    return (
        DuplicateScan.objects.filter(state=ScanState.DONE, legal_entity_id=legal_entity_id, kind=ScanKind.FULL)
        .exclude(model={})
        .order_by("-started_at")
        .first()
    )


def _last_scan(legal_entity_id: uuid.UUID | None) -> DuplicateScan | None:
    return DuplicateScan.objects.filter(state=ScanState.DONE, legal_entity_id=legal_entity_id).order_by("-started_at").first()


def scan(
    *, ctx: Context, incremental: bool = True, legal_entity_id: uuid.UUID | None = None, threshold: float | None = None
) -> DuplicateScan:
    """Find likely duplicates among all customers (or those changed since the last scan) and queue them.

    Incremental when asked and a trained model exists: customers created or changed since the last scan are
    scored against everyone (blocked on their keys) with the last full scan's model, and join or form
    clusters; otherwise a full scan trains the model by EM and scores every candidate pair.
    """
    threshold = settings.CLIENTVAULT_DEDUPE_THRESHOLD if threshold is None else threshold
    if not 0 < threshold <= 1:
        raise ValidationFailed({"threshold": [_("The threshold is a probability above 0 and at most 1.")]})
    model_scan = _last_model_scan(legal_entity_id) if incremental else None
    since = _last_scan(legal_entity_id) if model_scan is not None else None
    kind = ScanKind.INCREMENTAL if model_scan is not None and since is not None else ScanKind.FULL
    started = clock.now()
    with transaction.atomic():
        record = DuplicateScan.objects.create(
            kind=kind,
            legal_entity_id=legal_entity_id,
            started_at=started,
            threshold=threshold,
            params={"blocking_rules": len(engine.BLOCKING), "comparisons": list(engine.FIELDS)},
        )
    try:
        return _run(ctx, record, model_scan=model_scan if kind == ScanKind.INCREMENTAL else None, since=since)
    except Exception as exc:
        _failed(ctx, record, exc)
        raise


def _run(ctx: Context, record: DuplicateScan, *, model_scan: DuplicateScan | None, since: DuplicateScan | None) -> DuplicateScan:
    rows: list[dict[str, Any]] = []
    entity_of: dict[uuid.UUID, uuid.UUID] = {}
    changed: set[uuid.UUID] = set()
    cutoff = since.changed_since if since is not None else None
    for item in reading.feature_rows(legal_entity_id=record.legal_entity_id):
        rows.append(item.row)
        entity_of[item.customer_id] = item.legal_entity_id
        if cutoff is None or item.changed_at > cutoff:
            changed.add(item.customer_id)
    incremental = model_scan is not None
    result: engine.Result | None = None
    if not incremental or changed:
        result = engine.run(
            rows,
            threshold=record.threshold,
            model=model_scan.model if model_scan is not None else None,
            new_ids={str(c) for c in changed} if incremental else None,
            memory_limit=settings.CLIENTVAULT_DEDUPE_MEMORY_LIMIT,
            threads=settings.CLIENTVAULT_DEDUPE_THREADS,
        )
    del rows  # the decrypted features go with the scan
    with transaction.atomic():
        stored = store.apply(record, result.pairs if result else [], entity_of=entity_of, changed=changed if incremental else None)
        record.state = ScanState.DONE
        record.finished_at = clock.now()
        record.changed_since = record.started_at
        record.customers_scanned = len(entity_of)
        record.customers_compared = len(changed) if incremental else len(entity_of)
        record.pairs_scored = result.pairs_scored if result else 0
        record.pairs_above_threshold = stored.pairs
        record.clusters_new = stored.clusters_new
        record.clusters_open = stored.clusters_open
        record.model = (result.model if result and not incremental else {}) or {}
        record.model_version = engine.model_version(model_scan.model if model_scan else record.model or None)
        record.params = {**record.params, "trained": bool(result and result.trained), "suppressed_pairs": stored.suppressed}
        record.save()
        audit.record(
            ctx,
            "duplicates.scanned",
            obj=record,
            fields=SCAN_FIELDS,
            detail={
                "kind": record.kind,
                "customers_decrypted": record.customers_scanned,
                "customers_compared": record.customers_compared,
                "likely_pairs": stored.pairs,
                "clusters_new": stored.clusters_new,
                "clusters_open": stored.clusters_open,
                "model_version": record.model_version,
            },
        )
    return record


def _failed(ctx: Context, record: DuplicateScan, exc: Exception) -> None:
    """Mark the scan failed with the error's class only (a message could echo a value) and audit the read."""
    with transaction.atomic():
        DuplicateScan.objects.filter(pk=record.pk).update(
            state=ScanState.FAILED, finished_at=clock.now(), error_code=type(exc).__name__[:60]
        )
        audit.record(
            ctx,
            "duplicates.scanned",
            obj=record,
            fields=SCAN_FIELDS,
            outcome="failure",
            detail={"kind": record.kind, "error": type(exc).__name__.lower()},
        )


def _lock_visible(ctx: Context, cluster: DuplicateCluster | uuid.UUID) -> DuplicateCluster:
    pk = cluster.pk if isinstance(cluster, DuplicateCluster) else cluster
    found: DuplicateCluster | None = DuplicateCluster.objects.visible_to(ctx, CHANGE).select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def dismiss(ctx: Context, cluster: DuplicateCluster | uuid.UUID, *, reason: str) -> None:
    """Say the records are not duplicates: the cluster leaves the queue and its pairs are remembered, so later
    scans do not raise them again unless new evidence appears."""
    if ctx.actor is None or not allows(ctx.roles, DUPLICATES, CHANGE):
        raise PermissionDenied()
    if reason not in DismissReason.values:
        raise ValidationFailed({"reason": [_("Choose why these records are not duplicates.")]})
    found = _lock_visible(ctx, cluster)
    if found.status != ClusterStatus.OPEN:
        raise Conflict(_("This cluster is no longer open for review."), code="cluster_not_open")
    now = clock.now()
    found.status, found.dismiss_reason, found.dismissed_at, found.dismissed_by = ClusterStatus.DISMISSED, reason, now, ctx.actor
    found.save(update_fields=["status", "dismiss_reason", "dismissed_at", "dismissed_by", "updated_at"])
    pairs = list(MatchPair.objects.filter(cluster=found).values_list("left_id", "right_id", "levels"))
    for left, right, levels in pairs:
        DismissedPair.objects.update_or_create(
            left_id=left, right_id=right, defaults={"levels": levels, "cluster": found, "dismissed_at": now}
        )
    audit.record(ctx, "duplicates.dismissed", obj=found, detail={"reason": reason, "pairs": len(pairs), "records": found.size})


def _system_or_merger(ctx: Context) -> None:
    if ctx.actor is not None and not allows(ctx.roles, DUPLICATES, CHANGE) and "system" not in ctx.roles:
        raise PermissionDenied()


@transaction.atomic
def mark_merged(ctx: Context, cluster: DuplicateCluster | uuid.UUID, *, merge_id: uuid.UUID) -> None:
    """Record that an approved merge resolved the cluster (called by merges when it applies a merge)."""
    _system_or_merger(ctx)
    pk = cluster.pk if isinstance(cluster, DuplicateCluster) else cluster
    found = DuplicateCluster.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    found.status, found.merge_id = ClusterStatus.MERGED, merge_id
    found.save(update_fields=["status", "merge_id", "updated_at"])
    audit.record(ctx, "duplicates.merged", obj=found, detail={"merge_id": str(merge_id)})


@transaction.atomic
def reopen(ctx: Context, cluster: DuplicateCluster | uuid.UUID) -> None:
    """Put a merged cluster back on the queue (called by merges when the merge is undone)."""
    _system_or_merger(ctx)
    pk = cluster.pk if isinstance(cluster, DuplicateCluster) else cluster
    found = DuplicateCluster.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    previous: dict[str, Any] = {"previous_status": found.status}
    found.status, found.merge_id = ClusterStatus.OPEN, None
    found.save(update_fields=["status", "merge_id", "updated_at"])
    audit.record(ctx, "duplicates.reopened", obj=found, detail=previous)
