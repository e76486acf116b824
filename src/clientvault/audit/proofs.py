"""Inclusion proofs a third party can check without clientvault (``audit prove``, evidence packs).

A proof document holds: the event's canonical entry (the exact bytes of its leaf), its leaf index,
the audit path, and the signed checkpoint it leads to, with the public key. Checking it takes
SHA-256 and Ed25519 only — the procedure is in the README and in ``scripts/verify_audit_proof.py``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from typing import Any

from clientvault.audit import canonical, interior, merkle, sealing, signing
from clientvault.audit.models import AuditEvent, AuditLeaf, Checkpoint

log = logging.getLogger(__name__)
# Above one proof per this many leaves, one O(n) rebuild of the tree is cheaper than O(log n) reads each.
FROM_NODES_MAX_SHARE = 64


class NotSealed(Exception):
    """The event has no leaf yet (the sealer has not reached it)."""


def tree(checkpoint: Checkpoint) -> merkle.Levels:
    """The tree at the checkpoint's size, rebuilt from the stored leaf hashes (O(n), once per pack)."""
    hashes = [
        bytes(h) for h in AuditLeaf.objects.filter(index__lt=checkpoint.tree_size).order_by("index").values_list("leaf_hash", flat=True)
    ]
    levels = merkle.Levels(hashes)
    if levels.root() != bytes(checkpoint.root_hash):
        raise ValueError(f"the stored leaves do not give checkpoint {checkpoint.tree_size}'s root: run `clientvault audit verify`")
    return levels


def checkpoint_document(checkpoint: Checkpoint) -> dict[str, Any]:
    public_key = signing.public_keys().get(checkpoint.key_id, b"")
    return {
        "body": sealing.body(checkpoint),
        "signature": base64.b64encode(bytes(checkpoint.signature)).decode(),
        "key_id": checkpoint.key_id,
        "public_key": base64.b64encode(public_key).decode(),
        "algorithm": signing.ALGORITHM,
    }


def _paths(checkpoint: Checkpoint, indexes: list[int]) -> dict[int, list[bytes]]:
    """Audit paths of ``indexes`` in the checkpoint's tree: from the stored interior nodes, O(log n)
    rows each (issue #12); for a large batch (or nodes not backfilled yet) from one rebuild of the
    whole tree, which costs less than many small reads. Both give the same paths."""
    size, root = checkpoint.tree_size, bytes(checkpoint.root_hash)
    if len(indexes) * FROM_NODES_MAX_SHARE < size:
        try:
            return {index: interior.inclusion_proof(index, size, root) for index in indexes}
        except interior.MissingNodes as exc:
            log.warning("inclusion proofs rebuild the tree from every leaf: %s (run `clientvault audit backfill-nodes`)", exc)
    levels = tree(checkpoint)
    return {index: levels.inclusion_proof(index) for index in indexes}


def prove_many(events: Iterable[AuditEvent]) -> dict[str, Any]:
    """Proofs for many events against the latest checkpoint; unsealed events are listed apart."""
    events = list(events)
    checkpoint = sealing.latest_checkpoint()
    leaves = dict(AuditLeaf.objects.filter(event_pk__in=[e.pk for e in events]).values_list("event_pk", "index"))
    rows = {r["id"]: r for r in AuditEvent.objects.filter(pk__in=[e.pk for e in events]).values(*canonical.EVENT_COLUMNS)}
    sealed = sorted({i for i in leaves.values() if checkpoint is not None and i < checkpoint.tree_size})
    paths = _paths(checkpoint, sealed) if checkpoint is not None and sealed else {}
    proved, pending = [], []
    for event in events:
        index = leaves.get(event.pk)
        if index is None or index not in paths:
            pending.append(str(event.event_id))
            continue
        entry = canonical.entry(rows[event.pk])
        proved.append(
            {
                "event_id": str(event.event_id),
                "entry": entry.decode("utf-8"),
                "leaf_index": index,
                "leaf_hash": merkle.leaf_hash(entry).hex(),
                "proof": [h.hex() for h in paths[index]],
            }
        )
    return {
        "tree_size": checkpoint.tree_size if checkpoint else 0,
        "checkpoint": checkpoint_document(checkpoint) if checkpoint else None,
        "proofs": proved,
        "unsealed": pending,
    }


def prove(event: AuditEvent) -> dict[str, Any]:
    """One event's proof document; raises :class:`NotSealed` if the sealer has not reached it."""
    bundle = prove_many([event])
    if not bundle["proofs"]:
        raise NotSealed(str(event.event_id))
    proof = bundle["proofs"][0]
    return {**proof, "tree_size": bundle["tree_size"], "checkpoint": bundle["checkpoint"]}
