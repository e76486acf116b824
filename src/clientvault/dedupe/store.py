"""Storing a scan's scored pairs as clusters with stable ids (called inside ``services.scan``'s transaction,
which records the audit event). Only ids, probabilities, levels and field codes are written."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clientvault.dedupe import clusters as rules
from clientvault.dedupe.choices import ClusterStatus
from clientvault.dedupe.engine import ScoredPair, evidence_of
from clientvault.dedupe.models import ClusterMember, DismissedPair, DuplicateCluster, DuplicateScan, MatchPair


@dataclass
class Stored:
    pairs: int
    clusters_new: int
    clusters_open: int
    suppressed: int


def _key(pair: ScoredPair) -> tuple[uuid.UUID, uuid.UUID]:
    a, b = uuid.UUID(pair.left), uuid.UUID(pair.right)
    return (a, b) if a < b else (b, a)


def _open(scan: DuplicateScan) -> Any:
    qs = DuplicateCluster.objects.filter(status=ClusterStatus.OPEN)
    return qs.filter(legal_entity_id=scan.legal_entity_id) if scan.legal_entity_id is not None else qs


def _carried(scan: DuplicateScan, changed: set[uuid.UUID]) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[ScoredPair, uuid.UUID]]:
    """Pairs of open clusters that an incremental scan did not re-score (neither side changed)."""
    out: dict[tuple[uuid.UUID, uuid.UUID], tuple[ScoredPair, uuid.UUID]] = {}
    rows = MatchPair.objects.filter(cluster__in=_open(scan)).values_list(
        "left_id", "right_id", "probability", "match_weight", "levels", "scan_id"
    )
    for left, right, probability, weight, levels, scan_id in rows:
        if left in changed or right in changed:
            continue
        out[(left, right)] = (ScoredPair(str(left), str(right), probability, weight, dict(levels)), scan_id)
    return out


def _dismissed() -> dict[tuple[uuid.UUID, uuid.UUID], Mapping[str, int]]:
    return {(left, right): levels for left, right, levels in DismissedPair.objects.values_list("left_id", "right_id", "levels")}


def apply(
    scan: DuplicateScan, scored: Iterable[ScoredPair], *, entity_of: Mapping[uuid.UUID, uuid.UUID], changed: set[uuid.UUID] | None
) -> Stored:
    """Replace the open clusters with those the pairs draw now (``changed``: incremental, keep the pairs of
    unchanged customers); ids follow ``clusters.assign_ids``."""
    pairs: dict[tuple[uuid.UUID, uuid.UUID], tuple[ScoredPair, uuid.UUID]] = _carried(scan, changed) if changed is not None else {}
    dismissed = _dismissed()
    suppressed = 0
    for pair in scored:
        key = _key(pair)
        if key in dismissed and rules.suppressed(pair.levels, dismissed[key]):
            suppressed += 1
            continue
        pairs[key] = (pair, scan.pk)
    components = rules.components(pairs)
    open_clusters = list(_open(scan).order_by("created_at", "pk"))
    members: dict[uuid.UUID, set[uuid.UUID]] = {}
    for member_cluster, customer_id in ClusterMember.objects.filter(cluster__in=_open(scan), active=True).values_list(
        "cluster_id", "customer_id"
    ):
        members.setdefault(member_cluster, set()).add(customer_id)
    existing = [rules.Existing(c.pk, (c.created_at, str(c.pk)), frozenset(members.get(c.pk, ()))) for c in open_clusters]
    ids = rules.assign_ids(components, existing)
    by_id = {c.pk: c for c in open_clusters}
    by_pair_member: dict[uuid.UUID, int] = {}
    for index, component in enumerate(components):
        for member in component:
            by_pair_member[member] = index

    kept: set[uuid.UUID] = set()
    new_count = 0
    new_pairs: list[MatchPair] = []
    new_members: list[ClusterMember] = []
    grouped: list[list[tuple[tuple[uuid.UUID, uuid.UUID], tuple[ScoredPair, uuid.UUID]]]] = [[] for _ in components]
    for key, value in pairs.items():
        grouped[by_pair_member[key[0]]].append((key, value))
    for index, component in enumerate(components):
        best = max(p.probability for _k, (p, _s) in grouped[index])
        cluster_id = ids[index]
        had: set[uuid.UUID] = set()
        if cluster_id is None:
            entity = entity_of[next(iter(component))]
            cluster = DuplicateCluster.objects.create(
                legal_entity_id=entity, best_probability=best, size=len(component), first_seen=scan, last_seen=scan
            )
            new_count += 1
        else:
            cluster = by_id[cluster_id]
            cluster.best_probability, cluster.size, cluster.last_seen = best, len(component), scan
            cluster.save(update_fields=["best_probability", "size", "last_seen", "updated_at"])
            kept.add(cluster_id)
            had = set(ClusterMember.objects.filter(cluster=cluster).values_list("customer_id", flat=True))
            ClusterMember.objects.filter(cluster=cluster).exclude(customer_id__in=component).update(active=False)
            ClusterMember.objects.filter(cluster=cluster, customer_id__in=component, active=False).update(active=True)
            MatchPair.objects.filter(cluster=cluster).delete()
        new_members += [ClusterMember(cluster=cluster, customer_id=m) for m in component - had]
        new_pairs += [
            MatchPair(
                cluster=cluster,
                left_id=key[0],
                right_id=key[1],
                probability=pair.probability,
                match_weight=pair.match_weight,
                levels=pair.levels,
                evidence=evidence_of(pair.levels),
                scan_id=scan_id,
            )
            for key, (pair, scan_id) in grouped[index]
        ]
    gone = [c.pk for c in open_clusters if c.pk not in kept]
    if gone:
        # No longer matched (a record changed, was merged or erased): off the queue, kept as history.
        DuplicateCluster.objects.filter(pk__in=gone).update(status=ClusterStatus.GONE, last_seen=scan)
        ClusterMember.objects.filter(cluster_id__in=gone).update(active=False)
    ClusterMember.objects.bulk_create(new_members, batch_size=2000)
    MatchPair.objects.bulk_create(new_pairs, batch_size=2000)
    return Stored(pairs=len(pairs), clusters_new=new_count, clusters_open=len(components), suppressed=suppressed)
