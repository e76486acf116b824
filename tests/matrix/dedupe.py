"""The permission matrix's duplicate-review cases (issue #14): a cluster of the case's customer and a second
record of the same person (same owner), written directly (finding it is the scan's business, tested in
dedupe/tests)."""

from __future__ import annotations

import uuid
from typing import Any

from clientvault.audit.models import AuditEvent
from clientvault.core import clock
from clientvault.dedupe.engine import evidence_of
from clientvault.dedupe.models import ClusterMember, DuplicateCluster, DuplicateScan, MatchPair
from clientvault.testing.customers import customer
from tests.matrix.world import USERS, World

# The queue: compliance officers and sales managers review, auditors read (core/capabilities.py DUPLICATES).
READERS = ("compliance", "auditor", "manager_bj", "manager_sh")
NOT_READERS = tuple(u for u in USERS if u not in READERS)
# A cluster is seen by a reader who sees every member: the target's records are bj team 1's.
CLUSTER_IN = ("compliance", "auditor", "manager_bj")
CLUSTER_OUT = ("manager_sh", "compliance@foreign", "auditor@foreign", "manager_bj@foreign")
CHANGERS_IN = ("compliance", "manager_bj")
CHANGERS_OUT = ("manager_sh", "compliance@foreign", "manager_bj@foreign")
NOT_CHANGERS = tuple(u for u in USERS if u not in (*CHANGERS_IN, "manager_sh"))
LEVELS = {"name": 4, "id_number": -1, "birth_date": 3, "sex": 1, "mobile": 2, "email": -1, "address": -1}


def cluster_id(w: World, foreign: bool) -> uuid.UUID:
    memo: dict[str, Any] | None = getattr(w, "_dedupe_memo", None)
    if memo is None:
        memo = {}
        w._dedupe_memo = memo  # type: ignore[attr-defined]
    name = "foreign" if foreign else "target"
    if name not in memo:
        first = w.customer_for(foreign)
        owner = w.org["rep_other" if foreign else "rep_bj1"]
        second = customer(owner, name="张三丰", id_number="")
        scan = DuplicateScan.objects.create(kind="full", state="done", started_at=clock.now(), threshold=0.95)
        cluster = DuplicateCluster.objects.create(
            legal_entity_id=first.legal_entity_id, best_probability=0.99, size=2, first_seen=scan, last_seen=scan
        )
        ClusterMember.objects.bulk_create([ClusterMember(cluster=cluster, customer=first), ClusterMember(cluster=cluster, customer=second)])
        left, right = sorted((first.pk, second.pk))
        MatchPair.objects.create(
            cluster=cluster, left_id=left, right_id=right, probability=0.99, levels=LEVELS, evidence=evidence_of(LEVELS), scan=scan
        )
        memo[name] = cluster.pk
    return memo[name]  # type: ignore[no-any-return]


def viewed(w: World, foreign: bool, ok: bool) -> None:
    """Opening a cluster records one duplicates.viewed per member shown; a refusal none."""
    events = list(AuditEvent.objects.filter(event_type="duplicates.viewed"))
    assert len(events) == (2 if ok else 0), f"expected {2 if ok else 0} duplicates.viewed, got {len(events)}"
    if ok:
        assert w.customer_for(foreign).pk in {e.customer_id for e in events}


def dismissed(w: World, foreign: bool, ok: bool) -> None:
    status = DuplicateCluster.objects.get(pk=cluster_id(w, foreign)).status
    assert status == ("dismissed" if ok else "open"), status


def dismiss_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"reason": "different_people"}
