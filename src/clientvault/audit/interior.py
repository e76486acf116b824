"""The tree's interior, stored at sealing time, so an inclusion proof reads O(log n) rows (issue #12).

Every perfect, aligned subtree of height ``STORED_FROM`` or more — the hash over the leaves
``[index·2^level, (index+1)·2^level)`` — is written as an ``AuditNode`` row in the same transaction
as the leaves that complete it (the sealer's frontier merges produce exactly these). Lower levels
are recomputed from the at most ``2^STORED_FROM`` leaf hashes of the leaf's block, so the table
holds about n / 2^(STORED_FROM-1) rows instead of n.

Any RFC 6962 subtree ``MTH(D[a:b])`` that an audit path names is a perfect aligned subtree or is
built from them (the right edge of a tree splits into the perfect subtrees of its size's binary
digits), so a proof is computed in two passes: the first records which nodes and which leaf block
it needs, one query each fetches them, the second computes the path. Rows read: at most
``2^STORED_FROM`` leaves plus about 2·log2(n) nodes. A log sealed before this table existed is
filled in by ``clientvault audit backfill-nodes``; until then proofs fall back to rebuilding the
tree from every leaf (and say so in the log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

from clientvault.audit import merkle
from clientvault.audit.models import AuditLeaf, AuditNode, Checkpoint

STORED_FROM = 4
LEVEL_BITS = 6  # node key = index << LEVEL_BITS | level


def key(level: int, index: int) -> int:
    return index << LEVEL_BITS | level


def completed_nodes(frontier: merkle.Frontier, leaf: bytes) -> list[AuditNode]:
    """Append ``leaf`` to ``frontier`` and return the stored-level nodes the append completed."""
    position = frontier.size
    node, size, level = leaf, position, 0
    completed: list[AuditNode] = []
    while size & 1:  # the same merges as ``Frontier.append``, naming each node
        node = merkle.node_hash(frontier.hashes.pop(), node)
        size >>= 1
        level += 1
        if level >= STORED_FROM:
            index = position >> level
            completed.append(AuditNode(key=key(level, index), level=level, index=index, node_hash=node))
    frontier.hashes.append(node)
    frontier.size += 1
    return completed


class MissingNodes(LookupError):
    """The stored nodes cannot give this proof: some are missing (a log sealed before the table
    existed: run the backfill), or the path they give does not lead to the signed root."""


@dataclass
class ProofCost:
    leaf_rows: int = 0
    node_rows: int = 0

    @property
    def rows(self) -> int:
        return self.leaf_rows + self.node_rows


def _split(n: int) -> int:
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _path(index: int, size: int, perfect: Callable[[int, int], bytes]) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 6962 §2.1.1) with every subtree hash taken from ``perfect``."""

    def mth(a: int, b: int) -> bytes:
        n = b - a
        if n & (n - 1) == 0 and a % n == 0:
            level = n.bit_length() - 1
            return perfect(level, a >> level)
        k = _split(n)
        return merkle.node_hash(mth(a, a + k), mth(a + k, b))

    path: list[bytes] = []
    a, b = 0, size
    while b - a > 1:
        k = _split(b - a)
        if index < a + k:
            path.append(mth(a + k, b))
            b = a + k
        else:
            path.append(mth(a, a + k))
            a = a + k
    path.reverse()  # the recursion lists the deepest sibling first
    return path


def inclusion_proof(index: int, size: int, root: bytes, cost: ProofCost | None = None) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves, from O(log n) rows;
    checked against ``root`` with the stored leaf hash (raises :class:`MissingNodes` otherwise)."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    wanted_nodes: set[int] = set()
    wanted_leaves: set[int] = {index}

    def record(level: int, i: int) -> bytes:
        if level >= STORED_FROM:
            wanted_nodes.add(key(level, i))
        else:
            wanted_leaves.update(range(i << level, (i + 1) << level))
        return bytes(32)

    _path(index, size, record)
    leaves = _fetch(AuditLeaf.objects.filter(index__in=wanted_leaves).values_list("index", "leaf_hash"))
    nodes = _fetch(AuditNode.objects.filter(key__in=wanted_nodes).values_list("key", "node_hash"))
    if cost is not None:
        cost.leaf_rows += len(leaves)
        cost.node_rows += len(nodes)
    if len(leaves) != len(wanted_leaves) or len(nodes) != len(wanted_nodes):
        raise MissingNodes(f"{len(wanted_nodes) - len(nodes)} node(s), {len(wanted_leaves) - len(leaves)} leaf(s) missing")

    def lookup(level: int, i: int) -> bytes:
        if level >= STORED_FROM:
            return nodes[key(level, i)]
        return merkle.root([leaves[j] for j in range(i << level, (i + 1) << level)])

    path = _path(index, size, lookup)
    if merkle.root_from_inclusion(index, size, leaves[index], path) != root:
        raise MissingNodes(f"the stored nodes do not lead leaf {index} to the root of tree size {size}")
    return path


def _fetch(rows: Iterable[tuple[int, bytes | memoryview]]) -> dict[int, bytes]:
    return {k: bytes(h) for k, h in rows}


def backfill(*, chunk: int = 10_000) -> int:
    """Write the stored-level nodes of every sealed leaf (``audit backfill-nodes``): for a log sealed
    before this table existed. Idempotent (existing nodes are kept), safe beside a running sealer
    (both write the same hash for a node), and it stops at the latest checkpoint. Returns how many
    nodes the sealed leaves complete."""
    last = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first() or 0
    frontier = merkle.Frontier()
    total = 0
    while frontier.size < last:
        hashes = AuditLeaf.objects.filter(index__gte=frontier.size, index__lt=min(last, frontier.size + chunk)).order_by("index")
        rows = list(hashes.values_list("index", "leaf_hash"))
        nodes: list[AuditNode] = []
        for index, leaf in rows:
            if index != frontier.size:
                raise ValueError(f"leaf {frontier.size} is missing: run `clientvault audit verify`")
            nodes += completed_nodes(frontier, bytes(leaf))
        if not rows:
            raise ValueError(f"leaf {frontier.size} is missing: run `clientvault audit verify`")
        with transaction.atomic():
            AuditNode.objects.bulk_create(nodes, batch_size=1000, ignore_conflicts=True)
        total += len(nodes)
    return total
