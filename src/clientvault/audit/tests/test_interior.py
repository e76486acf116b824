"""Interior nodes stored at sealing time (issue #12): proofs from O(log n) rows, equal to the full rebuild."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import connection

from clientvault.audit import append_only, interior, merkle, proofs, sealing
from clientvault.audit.models import AuditEvent, AuditLeaf, AuditNode, Checkpoint

pytestmark = pytest.mark.django_db

Events = Callable[..., list[AuditEvent]]


@pytest.fixture
def sealed(make_events: Events) -> list[AuditEvent]:
    events = make_events(70)
    sealing.seal(batch=9)  # checkpoints at 9, 18, … 63, 70: nodes complete across batch boundaries
    return events


def _leaves(size: int) -> list[bytes]:
    return [bytes(h) for h in AuditLeaf.objects.filter(index__lt=size).order_by("index").values_list("leaf_hash", flat=True)]


def test_the_sealer_stores_every_perfect_subtree_from_the_stored_level_up(sealed: list[AuditEvent]) -> None:
    keys = set(AuditNode.objects.values_list("level", "index"))
    # 70 leaves: four subtrees of 16, two of 32, one of 64.
    assert keys == {(4, 0), (4, 1), (4, 2), (4, 3), (5, 0), (5, 1), (6, 0)}
    levels = merkle.Levels(_leaves(70))
    for node in AuditNode.objects.all():
        assert bytes(node.node_hash) == levels.levels[node.level][node.index]


def test_proofs_from_nodes_equal_the_full_rebuild_at_every_checkpoint(sealed: list[AuditEvent]) -> None:
    for checkpoint in Checkpoint.objects.all():
        size, root = checkpoint.tree_size, bytes(checkpoint.root_hash)
        leaves = _leaves(size)
        for index in range(size):
            cost = interior.ProofCost()
            path = interior.inclusion_proof(index, size, root, cost)
            assert path == merkle.inclusion_proof(index, leaves)
            assert merkle.verify_inclusion(index, size, leaves[index], path, root)
            assert cost.leaf_rows <= 2 * 2**interior.STORED_FROM and cost.node_rows <= 2 * size.bit_length()


def test_prove_reads_nodes_and_the_document_is_unchanged(sealed: list[AuditEvent], monkeypatch: pytest.MonkeyPatch) -> None:
    event = sealed[37]
    monkeypatch.setattr(proofs, "tree", lambda checkpoint: pytest.fail("the whole tree was rebuilt"))
    document = proofs.prove(event)
    levels = merkle.Levels(_leaves(70))
    assert document["proof"] == [h.hex() for h in levels.inclusion_proof(document["leaf_index"])]


def _drop_nodes() -> None:
    with append_only.maintenance("flush"):
        AuditNode.objects.all().delete()


def test_without_nodes_proofs_rebuild_the_tree_and_the_backfill_restores_them(
    sealed: list[AuditEvent], caplog: pytest.LogCaptureFixture
) -> None:
    before = proofs.prove(sealed[5])
    _drop_nodes()
    with caplog.at_level(logging.WARNING, logger="clientvault.audit.proofs"):
        assert proofs.prove(sealed[5]) == before
    assert "backfill-nodes" in caplog.text
    call_command("audit", "backfill-nodes")
    assert AuditNode.objects.count() == 7
    call_command("audit", "backfill-nodes")  # idempotent
    assert AuditNode.objects.count() == 7
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="clientvault.audit.proofs"):
        assert proofs.prove(sealed[5]) == before
    assert "backfill-nodes" not in caplog.text


def test_a_changed_node_is_never_served(sealed: list[AuditEvent], as_dba: Callable[..., None]) -> None:
    before = proofs.prove(sealed[3])
    quoted = connection.ops.quote_name("key")
    as_dba(f"UPDATE audit_auditnode SET node_hash = %s WHERE {quoted} = %s", [bytes(32), interior.key(5, 1)])
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    assert checkpoint is not None
    with pytest.raises(interior.MissingNodes):
        interior.inclusion_proof(3, checkpoint.tree_size, bytes(checkpoint.root_hash))
    assert proofs.prove(sealed[3]) == before  # rebuilt from the leaves instead


def test_verify_reports_a_changed_node_and_accepts_a_log_without_nodes(sealed: list[AuditEvent], as_dba: Callable[..., None]) -> None:
    from clientvault.audit import verification

    assert verification.verify().ok
    quoted = connection.ops.quote_name("key")
    as_dba(f"UPDATE audit_auditnode SET node_hash = %s WHERE {quoted} = %s", [bytes(32), interior.key(5, 1)])
    report = verification.verify()
    assert not report.ok
    assert [p.kind for p in report.problems] == ["node"]
    with append_only.maintenance("flush"):
        AuditNode.objects.all().delete()
    assert verification.verify().ok  # missing nodes are not tampering: proofs rebuild, the backfill restores them
