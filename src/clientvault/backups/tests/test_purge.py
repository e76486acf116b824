"""Deletion reaching the key-store backups: crash-safety of the purge at every step, retention, and the
window stated on deletion certificates (issue #15; RULES.md PIPL-47, JRT0171-DELETE "backups")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from clientvault.audit.models import AuditEvent
from clientvault.backups import events, keys, keystore_dump, purge, services, verification
from clientvault.backups import manifest as mf
from clientvault.core.context import system_context
from clientvault.customers.shredding import shred_customer
from clientvault.testing.customers import customer
from clientvault.testing.organisation import make_org

# Real dumps and restores see committed data only: the database tests commit (the pure ones need no database).
DB = pytest.mark.django_db(transaction=True)

CLI = system_context(channel="cli")


class Died(BaseException):
    """Stands for the process dying at this point (BaseException: no handler in the code under test catches it)."""


def _held(backup_id: str) -> set[Any]:
    document = mf.read(backup_id)
    with mf.open_keystore(backup_id, document) as src:
        return keystore_dump.held_customers(src, backup_id=backup_id)


# Each point is a function the purge calls between two steps; dying there must leave a state the next run finishes.
CRASH_POINTS = [
    ("after the new key, before the new file", keys, "create", "after"),
    ("after the new file, before the commit", mf, "write", "before"),
    ("after the commit, before the old key goes", keys, "destroy", "before"),
    ("after the old key went, before the event", events, "record_purged", "before"),
]


@DB
@pytest.mark.parametrize(("label", "module", "name", "when"), CRASH_POINTS, ids=[c[0] for c in CRASH_POINTS])
def test_a_purge_killed_at_any_step_is_finished_by_the_next_run(
    backup_dirs: Path, monkeypatch: pytest.MonkeyPatch, label: str, module: Any, name: str, when: str
) -> None:
    org = make_org()
    a, b = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    backup_id = services.create_backup(ctx=CLI)["backup_id"]
    shred_customer(ctx=system_context(), customer_id=a.pk)

    original = getattr(module, name)

    def dying(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            raise Died(label)
        original(*args, **kwargs)
        raise Died(label)

    monkeypatch.setattr(module, name, dying)
    with pytest.raises(Died):
        purge.purge_deleted_from_backups()
    monkeypatch.setattr(module, name, original)

    purge.purge_deleted_from_backups()  # the next run (the worker's schedule)
    purge.purge_deleted_from_backups()  # and one more: nothing left to do, nothing recorded twice

    document = mf.read(backup_id)
    assert mf.signature_ok(document) and document["keystore"]["generation"] == 2
    assert _held(backup_id) == {b.pk}
    assert keys.keystore_generations(backup_id) == [2]  # one key-store key: every other copy is unreadable
    assert sorted(p.name for p in mf.folder(backup_id).glob("keystore.g*.enc")) == [mf.keystore_file(2)]
    assert verification.check(backup_id).ok
    purged = AuditEvent.objects.filter(event_type="backup.purged")
    assert [e.object_id for e in purged] == [f"{backup_id}/g2"]


@DB
def test_a_backup_interrupted_while_written_is_cleared_with_its_keys(backup_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_org()

    def dying(*args: Any, **kwargs: Any) -> Any:
        raise Died("during the key-store dump")

    monkeypatch.setattr(keystore_dump, "dump", dying)
    with pytest.raises(Died):
        services.create_backup(ctx=CLI)
    monkeypatch.undo()
    assert mf.backup_ids() == [] and len(keys.backup_ids_with_keys()) == 1
    purge.purge_deleted_from_backups()
    assert keys.backup_ids_with_keys() == []
    assert not any(Path(mf.root()).glob(f"{mf.PARTIAL}*"))


@DB
def test_key_store_backups_past_retention_are_destroyed_key_first(backup_dirs: Path, settings: Any) -> None:
    make_org()
    backup_id = services.create_backup(ctx=CLI)["backup_id"]
    settings.CLIENTVAULT_KEYSTORE_BACKUP_RETENTION_DAYS = 0
    purge.purge_deleted_from_backups()
    document = mf.read(backup_id)
    assert document["keystore"]["destroyed_at"] and mf.signature_ok(document)
    assert keys.keystore_generations(backup_id) == []
    assert not list(mf.folder(backup_id).glob("keystore.g*.enc"))
    assert keys.exists(backup_id, keys.DATA)  # the data backup stays: it holds ciphertext only
    assert verification.check(backup_id).ok
    purge.purge_deleted_from_backups()
    assert AuditEvent.objects.filter(event_type="backup.purged", object_id=f"{backup_id}/expired").count() == 1


def test_the_window_stated_on_certificates(settings: Any) -> None:
    settings.CLIENTVAULT_BACKUP_PURGE_INTERVAL_MINUTES = 60
    settings.CLIENTVAULT_BACKUP_PURGE_MARGIN_MINUTES = 60
    assert services.deletion_window() == dt.timedelta(hours=2)
    english = services.window_statement("en")
    assert "2 h" in english and "35 days" in english
    assert services.window_statement("zh-hans")  # translated where the catalogue has it


@DB
def test_only_an_administrator_or_the_command_line_takes_backups(backup_dirs: Path) -> None:
    from clientvault.core.errors import PermissionDenied
    from clientvault.testing.actors import ctx

    org = make_org()
    with pytest.raises(PermissionDenied):
        services.create_backup(ctx=ctx(org["compliance"]))
    with pytest.raises(PermissionDenied):
        services.verify_backup(ctx=ctx(org["rep_bj1"]), backup_id="bk-20260101T000000Z-00000000")
    assert services.create_backup(ctx=ctx(org["admin"]))["backup_id"]


def test_the_system_check_refuses_backups_beside_their_keys(settings: Any, tmp_path: Path) -> None:
    from clientvault.backups.checks import backup_keys_apart

    settings.CLIENTVAULT_KEYS_DIR = str(tmp_path / "keys")
    settings.CLIENTVAULT_BACKUP_DIR = str(tmp_path / "keys" / "backups-here")
    assert [e.id for e in backup_keys_apart()] == ["clientvault.E090"]
    settings.CLIENTVAULT_BACKUP_DIR = str(tmp_path / "elsewhere")
    assert backup_keys_apart() == []
