"""Clustering scored pairs and keeping cluster ids stable across scans (pure; no database).

Clusters are the connected components of the pairs at or above the threshold. A new component takes the
id of the existing cluster it shares the most members with (largest overlap wins; ties go to the oldest
cluster); an existing cluster gives its id to one component only, so a split keeps the id on the larger
part and the rest become new clusters. A merge of two old clusters keeps the id of the one with more
members in common (then the older).
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T", bound=Hashable)


def components(pairs: Iterable[tuple[T, T]]) -> list[set[T]]:
    """Connected components (union-find with path halving) of the graph the pairs draw; singletons omitted."""
    parent: dict[T, T] = {}

    def find(x: T) -> T:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    groups: dict[T, set[T]] = {}
    for x in parent:
        groups.setdefault(find(x), set()).add(x)
    return [g for g in groups.values() if len(g) > 1]


@dataclass(frozen=True)
class Existing:
    """An existing cluster: its id, when it was first created (for ties), and its current members."""

    id: uuid.UUID
    created_rank: Any  # comparable: earlier is older
    members: frozenset[Any]


def assign_ids(new: Sequence[set[Any]], existing: Sequence[Existing]) -> list[uuid.UUID | None]:
    """For each new component, the id of the existing cluster it continues, or None for a new cluster."""
    by_member: dict[Any, Existing] = {m: c for c in existing for m in c.members}
    candidates: list[tuple[int, Any, int, uuid.UUID]] = []
    for index, component in enumerate(new):
        overlap: dict[uuid.UUID, int] = {}
        ranks: dict[uuid.UUID, Any] = {}
        for member in component:
            found = by_member.get(member)
            if found is not None:
                overlap[found.id] = overlap.get(found.id, 0) + 1
                ranks[found.id] = found.created_rank
        candidates += [(-count, ranks[cid], index, cid) for cid, count in overlap.items()]
    # Greedy by largest overlap, then oldest cluster: each old id and each new component used once.
    candidates.sort(key=lambda c: (c[0], c[1], c[2], str(c[3])))
    result: list[uuid.UUID | None] = [None] * len(new)
    taken: set[uuid.UUID] = set()
    for _neg, _rank, index, cid in candidates:
        if result[index] is None and cid not in taken:
            result[index] = cid
            taken.add(cid)
    return result


def suppressed(levels: Mapping[str, int], dismissed_levels: Mapping[str, int]) -> bool:
    """A pair a reviewer dismissed stays dismissed unless new evidence: some comparison now at a higher level
    than when it was dismissed (a missing value, -1, filled in counts as new evidence if it agrees at all)."""
    return all(levels.get(code, -1) <= dismissed_levels.get(code, -1) for code in levels)


def pairwise_scores(predicted: Iterable[set[Any]], truth: set[tuple[Any, Any]]) -> dict[str, float]:
    """Precision, recall and F1 of the pairs the predicted clusters imply against the true duplicate pairs."""
    implied = {(a, b) if a < b else (b, a) for group in predicted for a in group for b in group if a != b}
    tp = len(implied & truth)
    precision = tp / len(implied) if implied else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": len(truth), "predicted_pairs": len(implied)}
