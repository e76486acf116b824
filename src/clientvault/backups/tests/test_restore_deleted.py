"""The test issue #15 demands (RULES.md PIPL-47, GDPR-17, JRT0171-DELETE "backups"): a customer deleted after a
backup stays unreadable in that backup once it is restored, and ``audit verify`` passes on the restored copy.

Real databases and tools: SQLite's online backup, or ``pg_dump``/``pg_restore`` into a fresh PostgreSQL database;
the restored copy is read by separate processes whose settings name it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from clientvault.audit.models import AuditEvent
from clientvault.backups import dumps, keys, services
from clientvault.backups import manifest as mf
from clientvault.backups.purge import purge_deleted_from_backups
from clientvault.backups.restore import RestoreRefused, restore_backup
from clientvault.backups.tests.helpers import read_and_verify_in_copy, read_in_copy
from clientvault.core.context import system_context
from clientvault.crypto import keystore
from clientvault.customers.shredding import shred_customer
from clientvault.testing.customers import customer
from clientvault.testing.organisation import make_org

# Real dumps and restores see committed data only: the database tests commit (the pure ones need no database).
DB = pytest.mark.django_db(transaction=True)

CLI = system_context(channel="cli")


def _events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=name).order_by("id"))


@DB
def test_old_backup_restored_cannot_read_a_customer_deleted_since(backup_dirs: Path, targets: Any) -> None:
    org = make_org()
    a, b = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    document = services.create_backup(ctx=CLI)
    backup_id = document["backup_id"]
    assert document["keystore"]["rows"] == 2 and mf.signature_ok(document)
    assert [e.object_id for e in _events("backup.created")] == [backup_id]
    old_copy = backup_dirs / "offsite-copy.enc"  # a copy of the key-store backup taken away (tape, offsite)
    shutil.copy(mf.folder(backup_id) / mf.keystore_file(1), old_copy)

    shred_customer(ctx=system_context(), customer_id=a.pk)  # the deletion (a key custodian's act)
    assert not keystore.key_exists(a.pk)
    assert purge_deleted_from_backups() == 1
    assert purge_deleted_from_backups() == 0  # idempotent

    after = mf.read(backup_id)
    assert after["keystore"]["generation"] == 2 and after["keystore"]["rows"] == 1 and mf.signature_ok(after)
    assert keys.keystore_generations(backup_id) == [2]
    with pytest.raises(keys.BackupKeyMissing):  # the old key is destroyed: the offsite copy is unreadable for good
        keys.load(backup_id, keys.KEYSTORE, 1)
    assert not (mf.folder(backup_id) / mf.keystore_file(1)).exists() and old_copy.exists()
    assert [e.object_id for e in _events("backup.purged")] == [f"{backup_id}/g2"]
    assert services.verify_backup(ctx=CLI, backup_id=backup_id).ok

    target = targets.new()
    restored = restore_backup(ctx=CLI, backup_id=backup_id, target_url=target)
    assert (restored.keystore_rows, restored.tombstones) == (1, 1)
    assert len(_events("backup.restored")) == 1

    seen, verified = read_and_verify_in_copy(target, a.pk, b.pk)  # a process whose settings name the copy
    assert seen[str(b.pk)] == b.name  # B decrypts in the restored copy
    assert seen[str(a.pk)] == "KeyDestroyed"  # A's row is there (an old backup) but unreadable
    assert "OK: tree size" in verified  # ``audit verify`` passes on the restored copy (it raises otherwise)


@DB
def test_a_data_backup_alone_reads_as_ciphertext(backup_dirs: Path, targets: Any) -> None:
    org = make_org()
    a, b = customer(org["rep_bj1"], name="备份甲某某"), customer(org["rep_bj1"], name="备份乙某某")
    backup_id = services.create_backup(ctx=CLI)["backup_id"]
    encrypted = (mf.folder(backup_id) / mf.DATA_FILE).read_bytes()
    assert "备份甲某某".encode() not in encrypted and b"SQLite format 3" not in encrypted and b"PGDMP" not in encrypted

    target = targets.new()
    restore_backup(ctx=CLI, backup_id=backup_id, target_url=target, with_keystore=False)  # the data, no key-store backup
    seen = read_in_copy(target, a.pk, b.pk)
    assert seen == {str(a.pk): "KeyMissing", str(b.pk): "KeyMissing"}

    # Restore refuses a non-empty target (the copy just restored) and the live database (one restore, no more).
    with pytest.raises(RestoreRefused):
        restore_backup(ctx=CLI, backup_id=backup_id, target_url=target)
    live = dumps.live_target()
    if live.vendor == dumps.POSTGRESQL:  # the SQLite test database lives in memory: no URL names it
        with pytest.raises(RestoreRefused):
            restore_backup(ctx=CLI, backup_id=backup_id, target_url=live.url())
    assert len(_events("backup.restored")) == 1


def test_the_live_database_is_recognised_by_its_address() -> None:
    a = dumps.Target.parse("sqlite:////tmp/x/../x/live.sqlite3")
    assert a.same_database(dumps.Target.parse("sqlite:////tmp/x/live.sqlite3"))
    pg = dumps.Target.parse("postgres://postgres@127.0.0.1:5432/cv")
    assert pg.same_database(dumps.Target.parse("postgres://other@127.0.0.1:5432/cv"))
    assert not pg.same_database(dumps.Target.parse("postgres://postgres@127.0.0.1:5432/cv_copy"))
    assert pg.keys_companion().name == "cv_keys"
    assert dumps.Target.parse("sqlite:////srv/r/data.sqlite3").keys_companion().name == "/srv/r/data-keys.sqlite3"
