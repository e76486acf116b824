"""Inclusion proofs a third party can check without clientvault (``audit prove``, evidence packs).

A proof document holds: the event's canonical entry (the exact bytes of its leaf), its leaf index,
the audit path, and the signed checkpoint it leads to, with the public key. Checking it takes
SHA-256 and Ed25519 only — the procedure is in the README and in ``scripts/verify_audit_proof.py``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from clientvault.audit import canonical, merkle, sealing, signing
from clientvault.audit.models import AuditEvent, AuditLeaf, Checkpoint


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


def prove_many(events: Iterable[AuditEvent]) -> dict[str, Any]:
    """Proofs for many events against the latest checkpoint; unsealed events are listed apart."""
    events = list(events)
    checkpoint = sealing.latest_checkpoint()
    leaves = dict(AuditLeaf.objects.filter(event_pk__in=[e.pk for e in events]).values_list("event_pk", "index"))
    rows = {r["id"]: r for r in AuditEvent.objects.filter(pk__in=[e.pk for e in events]).values(*canonical.EVENT_COLUMNS)}
    levels = tree(checkpoint) if checkpoint is not None and leaves else None
    proved, pending = [], []
    for event in events:
        index = leaves.get(event.pk)
        if levels is None or checkpoint is None or index is None or index >= checkpoint.tree_size:
            pending.append(str(event.event_id))
            continue
        entry = canonical.entry(rows[event.pk])
        proved.append(
            {
                "event_id": str(event.event_id),
                "entry": entry.decode("utf-8"),
                "leaf_index": index,
                "leaf_hash": merkle.leaf_hash(entry).hex(),
                "proof": [h.hex() for h in levels.inclusion_proof(index)],
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
