"""A backup verifies (signature, hashes, both streams decrypt) and a tampered one does not (issue #15)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from clientvault.audit.models import AuditEvent
from clientvault.backups import keys, services, verification
from clientvault.backups import manifest as mf
from clientvault.backups.restore import RestoreRefused, restore_backup
from clientvault.core.context import system_context
from clientvault.testing.customers import customer
from clientvault.testing.organisation import make_org

pytestmark = pytest.mark.django_db(transaction=True)

CLI = system_context(channel="cli")


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def backup_id(backup_dirs: Path) -> str:
    org = make_org()
    customer(org["rep_bj1"])
    return str(services.create_backup(ctx=CLI)["backup_id"])


def test_a_fresh_backup_verifies_and_the_check_is_audited(backup_id: str) -> None:
    report = services.verify_backup(ctx=CLI, backup_id=backup_id)
    assert report.ok and report.keystore_rows == 1 and report.data_bytes > 0
    event = AuditEvent.objects.get(event_type="backup.verified")
    assert (event.object_id, event.outcome) == (backup_id, "success")


def test_a_flipped_bit_in_the_data_file_fails_verification(backup_id: str, targets: Any) -> None:
    _flip(mf.folder(backup_id) / mf.DATA_FILE, 4000)
    report = services.verify_backup(ctx=CLI, backup_id=backup_id)
    assert not report.ok and report.codes == ["data_hash"]
    assert AuditEvent.objects.get(event_type="backup.verified").outcome == "failed"
    with pytest.raises(RestoreRefused):
        restore_backup(ctx=CLI, backup_id=backup_id, target_url=targets.new())


def test_a_file_whose_hash_was_also_rewritten_fails_on_decryption(backup_id: str) -> None:
    """An attacker who edits the file and the manifest's hash breaks the manifest signature; one who could
    re-sign still meets the stream's authentication."""
    folder = mf.folder(backup_id)
    _flip(folder / mf.keystore_file(1), 100)
    document = mf.read(backup_id)
    document["keystore"]["sha256"] = mf.facts(folder / mf.keystore_file(1)).sha256
    (folder / mf.MANIFEST).write_text(json.dumps(document), encoding="utf-8")
    assert verification.check(backup_id).codes == ["signature"]
    mf.write(folder, document)  # re-signed with the real key: only the stream's own authentication is left
    assert verification.check(backup_id).codes == ["keystore_decrypt"]


def test_the_key_store_file_of_another_generation_or_backup_does_not_pass(backup_id: str) -> None:
    other = str(services.create_backup(ctx=CLI)["backup_id"])
    folder = mf.folder(backup_id)
    (folder / mf.keystore_file(1)).write_bytes((mf.folder(other) / mf.keystore_file(1)).read_bytes())
    assert "keystore_hash" in verification.check(backup_id).codes
    assert keys.exists(other, keys.KEYSTORE, 1)


def test_the_commands(backup_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_org()
    call_command("backup")
    listed = json.loads(_out(capsys, "backup", "list"))
    assert len(listed) == 1 and listed[0]["keystore_generation"] == 1
    assert "OK: backup" in _out(capsys, "backup", "verify", listed[0]["backup_id"])
    assert "0 deleted customer key(s)" in _out(capsys, "backup", "purge")


def _out(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    call_command(*args)
    return capsys.readouterr().out
