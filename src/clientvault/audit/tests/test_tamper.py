"""Someone with database rights edits the audit tables directly (issue #4): every case is detected.

Each test drops the append-only triggers first, as a database administrator could (the drop is
rolled back with the test), changes rows with raw SQL, and runs ``audit verify``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from clientvault.audit import append_only, canonical, merkle, sealing, verification
from clientvault.audit.models import AuditEvent, AuditLeaf, Checkpoint

pytestmark = pytest.mark.django_db

Events = Callable[..., list[AuditEvent]]
Sql = Callable[..., None]


@pytest.fixture
def sealed(make_events: Events, witness_file: Path, django_capture_on_commit_callbacks: Any) -> list[AuditEvent]:
    """Ten events sealed in three checkpoints (4, 8, 10), each published to a witness file."""
    events = make_events(10)
    with django_capture_on_commit_callbacks(execute=True):
        sealing.seal(batch=4)
    assert verification.verify().ok
    return events


def _leaf_of(event: AuditEvent) -> int:
    return AuditLeaf.objects.get(event_pk=event.pk).index


def _kinds(report: verification.Report) -> set[str]:
    return {p.kind for p in report.problems}


def test_an_untouched_log_verifies(sealed: list[AuditEvent]) -> None:
    report = verification.verify()
    assert report.ok and report.tree_size == 10 and report.leaves == 10 and report.witnessed == 3 and report.checkpoints == 3


def test_editing_an_event_is_found_at_its_leaf(sealed: list[AuditEvent], as_dba: Sql) -> None:
    victim = sealed[5]
    as_dba("UPDATE audit_auditevent SET actor_username = %s WHERE id = %s", ["someone-else", victim.pk])
    report = verification.verify()
    assert not report.ok and "edited" in _kinds(report)
    assert report.first_bad_position == _leaf_of(victim)


@pytest.mark.parametrize(
    "column,value", [("event_type", "customer.updated"), ("occurred_at", "2020-01-01 00:00:00"), ("purpose", "marketing")]
)
def test_editing_any_column_is_found(sealed: list[AuditEvent], as_dba: Sql, column: str, value: str) -> None:
    as_dba(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, sealed[2].pk])
    report = verification.verify()
    assert report.first_bad_position == _leaf_of(sealed[2])


def test_editing_an_event_and_its_leaf_hash_together_breaks_the_checkpoint_root(sealed: list[AuditEvent], as_dba: Sql) -> None:
    victim = sealed[5]
    as_dba("UPDATE audit_auditevent SET outcome = 'denied' WHERE id = %s", [victim.pk])
    row = AuditEvent.objects.values(*canonical.EVENT_COLUMNS).get(pk=victim.pk)
    forged = merkle.leaf_hash(canonical.entry(row))
    as_dba("UPDATE audit_auditleaf SET leaf_hash = %s WHERE event_pk = %s", [forged, victim.pk])
    report = verification.verify()
    assert "root" in _kinds(report) and "edited" not in _kinds(report)
    # Narrowed to the checkpoint range that holds the leaf (leaves 4–7).
    assert report.first_bad_position == 4 <= _leaf_of(victim) < 8


def test_deleting_an_event_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    victim = sealed[3]
    as_dba("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    report = verification.verify()
    assert "deleted" in _kinds(report) and report.first_bad_position == _leaf_of(victim)


def test_deleting_an_event_and_its_leaf_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    victim = sealed[3]
    index = _leaf_of(victim)
    as_dba("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    as_dba("DELETE FROM audit_auditleaf WHERE event_pk = %s", [victim.pk])
    report = verification.verify()
    assert not report.ok and report.first_bad_position == index


def test_inserting_a_back_dated_event_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    as_dba(
        "INSERT INTO audit_auditevent (id, event_id, occurred_at, actor_username, role, purpose, request_id, channel, event_type,"
        " object_type, object_id, fields, outcome, detail) VALUES (%s, %s, %s, '', '', '', '', 'web', 'customer.viewed', '', '',"
        " '[]', 'success', '{}')",
        [sealed[0].pk - 1 if sealed[0].pk > 1 else 10**9, "00000000-0000-4000-8000-000000000001", "2025-01-01 00:00:00+00:00"],
    )
    report = verification.verify()
    assert "unsealed" in _kinds(report)


def test_inserting_a_forged_leaf_in_the_middle_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    # Shift every leaf from position 6 up by one and put a forged event at 6.
    as_dba('UPDATE audit_auditleaf SET "index" = "index" + 100 WHERE "index" >= 6')
    as_dba('UPDATE audit_auditleaf SET "index" = "index" - 99 WHERE "index" >= 100')
    with transaction.atomic():
        forged = AuditEvent.objects.create(occurred_at=sealed[5].occurred_at, event_type="customer.viewed")
    row = AuditEvent.objects.values(*canonical.EVENT_COLUMNS).get(pk=forged.pk)
    as_dba(
        'INSERT INTO audit_auditleaf ("index", event_pk, leaf_hash) VALUES (6, %s, %s)', [forged.pk, merkle.leaf_hash(canonical.entry(row))]
    )
    report = verification.verify()
    assert not report.ok and report.first_bad_position is not None and report.first_bad_position <= 6


def test_reordering_two_events_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    a, b = sealed[1], sealed[2]
    ia, ib = _leaf_of(a), _leaf_of(b)
    as_dba("UPDATE audit_auditleaf SET event_pk = -1 WHERE event_pk = %s", [a.pk])
    as_dba("UPDATE audit_auditleaf SET event_pk = %s WHERE event_pk = %s", [a.pk, b.pk])
    as_dba("UPDATE audit_auditleaf SET event_pk = %s WHERE event_pk = -1", [b.pk])
    report = verification.verify()
    assert not report.ok and report.first_bad_position == min(ia, ib)


def test_reordering_with_leaf_hashes_moved_along_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    # A careful attacker swaps whole leaf rows: each event still matches its leaf, but the order changed.
    la, lb = AuditLeaf.objects.get(index=1), AuditLeaf.objects.get(index=2)
    as_dba('UPDATE audit_auditleaf SET "index" = -1 WHERE "index" = 1')
    as_dba('UPDATE audit_auditleaf SET "index" = 1 WHERE "index" = 2')
    as_dba('UPDATE audit_auditleaf SET "index" = 2 WHERE "index" = -1')
    assert (AuditLeaf.objects.get(index=1).event_pk, AuditLeaf.objects.get(index=2).event_pk) == (lb.event_pk, la.event_pk)
    report = verification.verify()
    assert _kinds(report) == {"root"} and report.first_bad_position == 0


def test_replacing_a_checkpoint_root_breaks_its_signature(sealed: list[AuditEvent], as_dba: Sql) -> None:
    as_dba("UPDATE audit_checkpoint SET root_hash = %s WHERE tree_size = 8", [bytes(32)])
    report = verification.verify(witness="")
    assert "signature" in _kinds(report) and report.first_bad_position == 4


def test_a_checkpoint_signed_with_another_key_is_refused(sealed: list[AuditEvent], as_dba: Sql) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cp = Checkpoint.objects.get(tree_size=8)
    as_dba("UPDATE audit_checkpoint SET signature = %s WHERE tree_size = 8", [Ed25519PrivateKey.generate().sign(sealing.body(cp).encode())])
    assert "signature" in _kinds(verification.verify(witness=""))
    as_dba("UPDATE audit_checkpoint SET key_id = 'ffffffffffffffff' WHERE tree_size = 8")
    assert any("unknown key" in p.message for p in verification.verify(witness="").problems)


def test_deleting_a_checkpoint_in_the_middle_breaks_the_chain(sealed: list[AuditEvent], as_dba: Sql) -> None:
    as_dba("DELETE FROM audit_checkpoint WHERE tree_size = 8")
    report = verification.verify(witness="")
    assert "chain" in _kinds(report)
    assert "witness" in _kinds(verification.verify())


def test_rewriting_history_with_the_real_key_is_caught_by_the_witness(sealed: list[AuditEvent], as_dba: Sql) -> None:
    """An attacker with the database *and* the signing key rewrites everything consistently.

    The database alone then verifies; the witness, which holds the checkpoints published at the
    time, does not agree — which is what the witness is for.
    """
    victim = sealed[9]
    as_dba("UPDATE audit_auditevent SET purpose = 'forged' WHERE id = %s", [victim.pk])
    as_dba("DELETE FROM audit_checkpoint")
    as_dba("DELETE FROM audit_auditleaf")
    sealing.seal(batch=4)  # re-sealed and re-signed with the real key
    assert verification.verify(witness="").ok
    report = verification.verify()
    assert _kinds(report) == {"witness"} and report.first_bad_position == 8  # only the tree of size 10 differs


def test_cutting_off_the_newest_events_is_caught_by_the_witness(sealed: list[AuditEvent], as_dba: Sql) -> None:
    for event in sealed[8:]:
        as_dba("DELETE FROM audit_auditleaf WHERE event_pk = %s", [event.pk])
        as_dba("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    as_dba("DELETE FROM audit_checkpoint WHERE tree_size = 10")
    assert verification.verify(witness="").ok  # consistent on its own …
    report = verification.verify()
    assert any("cut off" in p.message for p in report.problems)  # … but the witness saw size 10


def test_a_leaf_past_the_last_checkpoint_is_found(sealed: list[AuditEvent], as_dba: Sql) -> None:
    as_dba("DELETE FROM audit_checkpoint WHERE tree_size = 10")
    report = verification.verify(witness="")
    assert any("past the last signed checkpoint" in p.message for p in report.problems)


def test_a_replaced_witness_entry_is_reported(sealed: list[AuditEvent], witness_file: Path) -> None:
    lines = witness_file.read_text().splitlines()
    record = json.loads(lines[1])
    record["root"] = base64.b64encode(bytes(32)).decode()
    lines[1] = json.dumps(record)
    witness_file.write_text("\n".join(lines) + "\n")
    report = verification.verify()
    assert _kinds(report) == {"witness"} and report.first_bad_position == 4  # leaves 4–7 are in question


def test_the_verify_command_reports_the_first_bad_position(sealed: list[AuditEvent], as_dba: Sql, capsys: Any) -> None:
    call_command("audit", "verify")
    assert "OK: tree size 10" in capsys.readouterr().out
    as_dba("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [sealed[7].pk])
    with pytest.raises(CommandError, match=f"first bad position: {_leaf_of(sealed[7])}"):
        call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "FAIL [edited]" in out


def test_verification_runs_are_themselves_audited(sealed: list[AuditEvent], capsys: Any) -> None:
    call_command("audit", "verify", "--json")
    event = AuditEvent.objects.filter(event_type="audit.verified").get()
    assert event.outcome == "success" and event.detail["tree_size"] == 10 and event.channel == "cli"
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_triggers_are_present_on_this_database() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'")
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_%' AND NOT tgisinternal")
        assert cursor.fetchone()[0] == 2 * len(append_only.TABLES)
