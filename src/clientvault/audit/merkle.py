"""Merkle tree hashing for the sealed audit log (issue #4; ARCHITECTURE.md rule 7) — pure functions.

RFC 6962 §2.1 (as restated in RFC 9162 §2.1): SHA-256 with domain separation — a leaf is hashed as
``SHA-256(0x00 || entry)`` and an interior node as ``SHA-256(0x01 || left || right)``; the tree over
``n`` leaves splits at the largest power of two below ``n``. Inclusion proofs (audit paths) and
consistency proofs follow the same definitions, and the verifiers follow RFC 9162 §2.1.3.2 and
§2.1.4.2, so a third party can check a proof with any RFC 6962 implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves; computed bottom-up in O(n) without recursion depth limits."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    # Pairwise reduction equals RFC 6962's recursive split: an odd last node is carried up unchanged.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index`` (0-based) in the tree over ``leaves``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError("leaf index outside the tree")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root(leaves[:k])]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or None if the proof is malformed."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, proof) == expected_root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): that the tree of the first ``old_size`` leaves is a prefix of the tree over ``leaves``."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError("old size must be between 1 and the tree size")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: whether ``proof`` shows the old tree is a prefix of the new one."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The right edge of a growing tree: one perfect-subtree hash per set bit of the size.

    Appending a leaf and reading the root are O(log n), so the sealer never rehashes the history;
    the frontier is what a checkpoint stores to let the next sealing run continue from it.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if bin(size).count("1") != len(hashes):
            raise ValueError("a frontier holds one hash per set bit of its size")
        self.size = size
        self.hashes = list(hashes)  # left to right: largest subtree first

    def append(self, leaf: bytes) -> None:
        node = leaf
        size = self.size
        # Like a binary counter: each trailing 1-bit of the old size merges a subtree of equal height.
        while size & 1:
            node = node_hash(self.hashes.pop(), node)
            size >>= 1
        self.hashes.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            acc = node_hash(left, acc)
        return acc


class Levels:
    """Every level of the tree over ``leaves``, so each inclusion proof costs O(log n) lookups."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        level = self.levels[0]
        while len(level) > 1:
            nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            self.levels.append(nxt)
            level = nxt

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def root(self) -> bytes:
        return self.levels[-1][0] if self.size else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Same path as :func:`inclusion_proof`: a node without a right sibling is carried up."""
        if not 0 <= index < self.size:
            raise ValueError("leaf index outside the tree")
        proof: list[bytes] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index >>= 1
        return proof
