"""Encrypted, verifiable backups: create, verify, list; the deletion window stated on certificates.

A backup is two encrypted files and a signed manifest (``manifest.py``): the data database's native dump
under a per-backup data key, and the key store's rows under a separate per-backup key-store key
(``keys.py``, kept in the key directory, never beside the backups). A data backup alone reads as
ciphertext (ARCHITECTURE.md rule 6: customer fields are sealed under keys that live in the key store).
Deletion reaches the key-store backups through ``purge.purge_deleted_from_backups`` (re-exported here).
Restoring is ``restore.py``. Every act is audited on the live system (``backup.*``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import translation
from django.utils.translation import gettext

from clientvault.audit import recording as audit
from clientvault.audit import sealing
from clientvault.audit.models import AuditEvent, Checkpoint
from clientvault.backups import dumps, events, keys, keystore_dump, locks, verification
from clientvault.backups import manifest as mf
from clientvault.backups.purge import purge_deleted_from_backups
from clientvault.core import clock
from clientvault.core.context import Context

__all__ = [
    "create_backup",
    "deletion_window",
    "list_backups",
    "purge_deleted_from_backups",
    "verify_backup",
    "window_statement",
]


# --- The deletion window (consumer: lifecycle's deletion certificate) ---------------------------


def deletion_window() -> dt.timedelta:
    """How long a deleted customer's key may still exist in a key-store backup: the purge interval plus a margin."""
    return dt.timedelta(minutes=settings.CLIENTVAULT_BACKUP_PURGE_INTERVAL_MINUTES + settings.CLIENTVAULT_BACKUP_PURGE_MARGIN_MINUTES)


def _duration(window: dt.timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    if minutes % 60 == 0:
        return gettext("%(hours)s h") % {"hours": minutes // 60}
    return gettext("%(minutes)s min") % {"minutes": minutes}


def window_statement(language: str) -> str:
    """The certificate's sentence on backups, in ``language`` (zh-hans or en)."""
    with translation.override(language):
        return gettext(
            "Backups of the data hold this customer's data only as ciphertext; every key-store backup that could "
            "decrypt it is re-encrypted without this customer's key within %(window)s of the deletion (the old "
            "backup keys are destroyed), and key-store backups older than %(days)s days are destroyed."
        ) % {"window": _duration(deletion_window()), "days": settings.CLIENTVAULT_KEYSTORE_BACKUP_RETENTION_DAYS}


# --- Create -------------------------------------------------------------------------------------


class _Counting:
    """Counts and hashes what passes to the encrypting stream (the plaintext size goes into the manifest)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner, self.size, self.digest = inner, 0, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        self.digest.update(data)
        return int(self.inner.write(data))


def _new_backup_id() -> str:
    return f"bk-{clock.now().astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def _migration_state() -> dict[str, Any]:
    applied = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
    latest: dict[str, str] = {}
    for entry in applied:
        app, name = entry.split(".", 1)
        latest[app] = max(latest.get(app, ""), name)
    return {"count": len(applied), "sha256": hashlib.sha256("\n".join(applied).encode()).hexdigest(), "latest": latest}


def _audit_head() -> dict[str, Any]:
    last = Checkpoint.objects.order_by("-tree_size").first()
    return {
        "max_event_id": AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "checkpoint": {"tree_size": last.tree_size, "root_hash": bytes(last.root_hash).hex(), "key_id": last.key_id} if last else None,
    }


def create_backup(*, ctx: Context, out: Path | None = None) -> dict[str, Any]:
    """Take a backup of the data database and the key store; returns its (signed) manifest."""
    events.require_backup_operator(ctx)
    sealing.seal()  # the backup's audit trail ends on a signed checkpoint (verifiable once restored)
    backup_id = _new_backup_id()
    root = Path(out) if out else mf.root()
    with locks.backups_lock(exclusive=False):
        work = mf.partial_folder_at(root, backup_id)
        work.mkdir(parents=True, mode=0o700)
        keys.record_location(backup_id, root)
        data_aead = keys.create(backup_id, keys.DATA)
        data_ad = keys.associated_data(backup_id, keys.DATA)
        with open(work / mf.DATA_FILE, "wb") as raw, data_aead.new_encrypting_stream(raw, data_ad) as enc:
            counter = _Counting(enc)
            vendor = dumps.dump(counter)  # type: ignore[arg-type]
        mf.fsync_file(work / mf.DATA_FILE)
        keystore_aead = keys.create(backup_id, keys.KEYSTORE, 1)  # data first: every customer in the dump has its key already
        ks_name = mf.keystore_file(1)
        ks_ad = keys.associated_data(backup_id, keys.KEYSTORE, 1)
        with open(work / ks_name, "wb") as raw, keystore_aead.new_encrypting_stream(raw, ks_ad) as enc:
            counts = keystore_dump.dump(enc, backup_id=backup_id)
        mf.fsync_file(work / ks_name)
        for name in (mf.DATA_FILE, ks_name):
            os.chmod(work / name, 0o600)
        data_facts, ks_facts = mf.facts(work / mf.DATA_FILE), mf.facts(work / ks_name)
        body: dict[str, Any] = {
            "format": mf.FORMAT,
            "backup_id": backup_id,
            "created_at": clock.now().isoformat(),
            "origin": settings.CLIENTVAULT_AUDIT_ORIGIN,
            "vendor": vendor,
            "server_version": dumps.server_version(),
            "migrations": _migration_state(),
            "data": {"file": mf.DATA_FILE, "sha256": data_facts.sha256, "size": data_facts.size, "plain_size": counter.size},
            "keystore": {
                "file": ks_name,
                "generation": 1,
                "sha256": ks_facts.sha256,
                "size": ks_facts.size,
                "rows": counts.keys,
                "tombstones": counts.tombstones,
                "destroyed_at": None,
            },
            "audit": _audit_head(),
            "purges": [],
        }
        mf.write(work, body)
        os.rename(work, root / backup_id)  # the commit point: a complete backup appears at once
        keys.fsync_dir(root)
    with transaction.atomic():
        audit.record(ctx, "backup.created", object_type="backups.backup", object_id=backup_id, detail=events.created_detail(body))
    return mf.read(backup_id)


# --- Verify and list ----------------------------------------------------------------------------


def verify_backup(*, ctx: Context, backup_id: str) -> verification.Verification:
    """Verify a backup and leave the result in the trail (``backup.verified``, failed when it does not verify)."""
    events.require_backup_operator(ctx)
    report = verification.check(backup_id)
    with transaction.atomic():
        audit.record(
            ctx,
            "backup.verified",
            object_type="backups.backup",
            object_id=backup_id,
            outcome=AuditEvent.Outcome.SUCCESS if report.ok else AuditEvent.Outcome.FAILED,
            detail={"problems": report.codes[:10], "keystore_rows": report.keystore_rows},
        )
    return report


def list_backups() -> list[dict[str, Any]]:
    """The backups held, oldest first: id, time, vendor, sizes, key-store generation and state."""
    out = []
    for backup_id in mf.backup_ids():
        document = mf.read(backup_id)
        ks = document.get("keystore") or {}
        out.append(
            {
                "backup_id": backup_id,
                "created_at": document.get("created_at"),
                "vendor": document.get("vendor"),
                "location": str(mf.folder(backup_id)),
                "data_size": (document.get("data") or {}).get("size"),
                "keystore_generation": ks.get("generation"),
                "keystore_rows": ks.get("rows"),
                "keystore_destroyed_at": ks.get("destroyed_at"),
                "purges": len(document.get("purges") or []),
            }
        )
    return out
