"""Stable cluster ids and dismissed pairs (pure rules)."""

from __future__ import annotations

import uuid

from clientvault.dedupe.clusters import Existing, assign_ids, components, pairwise_scores, suppressed
from clientvault.dedupe.engine import evidence_of

A, B, C, D, E = (uuid.UUID(int=i) for i in range(1, 6))


def test_components_are_connected_pairs() -> None:
    groups = components([(A, B), (B, C), (D, E)])
    assert sorted(map(sorted, groups)) == [[A, B, C], [D, E]]


def test_a_cluster_keeps_its_id_while_membership_overlaps() -> None:
    old, new_id = uuid.uuid4(), None
    ids = assign_ids([{A, B, C}], [Existing(old, 1, frozenset({A, B}))])
    assert ids == [old]
    assert assign_ids([{D, E}], [Existing(old, 1, frozenset({A, B}))]) == [new_id]


def test_a_split_keeps_the_id_on_the_larger_part() -> None:
    old = uuid.uuid4()
    ids = assign_ids([{A, B}, {C, D, E}], [Existing(old, 1, frozenset({A, B, C, D, E}))])
    assert ids == [None, old]


def test_two_clusters_joined_keep_the_larger_overlap_then_the_oldest() -> None:
    older, newer = uuid.uuid4(), uuid.uuid4()
    existing = [Existing(newer, 2, frozenset({A, B})), Existing(older, 1, frozenset({C}))]
    assert assign_ids([{A, B, C}], existing) == [newer]  # two members in common beat one
    tie = [Existing(newer, 2, frozenset({A})), Existing(older, 1, frozenset({B}))]
    assert assign_ids([{A, B}], tie) == [older]  # equal overlap: the oldest wins


def test_a_dismissed_pair_stays_dismissed_unless_new_evidence() -> None:
    at_dismissal = {"name": 4, "mobile": 1, "id_number": -1}
    assert suppressed({"name": 4, "mobile": 1, "id_number": -1}, at_dismissal)
    assert suppressed({"name": 3, "mobile": 1, "id_number": -1}, at_dismissal)  # weaker: still dismissed
    assert not suppressed({"name": 4, "mobile": 1, "id_number": 2}, at_dismissal)  # an ID number now agrees


def test_evidence_names_field_codes_only() -> None:
    ev = evidence_of({"name": 6, "id_number": 1, "birth_date": 0, "sex": -1, "mobile": 2, "email": -1, "address": 1})
    assert ev["agree"] == ["name", "mobile"]
    assert ev["partial"] == ["id_number", "address"]
    assert ev["disagree"] == ["birth_date"]
    assert ev["missing"] == ["sex", "email"]


def test_pairwise_scores() -> None:
    s = pairwise_scores([{A, B, C}], {(A, B), (D, E)})
    assert s["precision"] == 1 / 3 and s["recall"] == 1 / 2
