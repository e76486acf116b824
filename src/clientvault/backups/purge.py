"""Deletion reaching the backups (issue #15, RULES.md PIPL-47 / GDPR-17, JRT0171-DELETE "backups").

Data backups hold customer fields only as ciphertext under per-customer keys; those keys exist outside
the live key store only in key-store backups. So a deletion reaches every backup when no key-store backup
holds the deleted customer's key any more, and every older copy of a key-store backup is unreadable:

for each key-store backup still held, decrypt it, drop the keys of customers whose key was shredded (a
``ShreddedKey`` tombstone) or whose destruction is requested (``KeyDestruction``), write the rest as the next
generation under a NEW per-backup key, commit by replacing the signed manifest atomically, then destroy the
old per-backup key (any copy of the old file — tape, offsite — is now unreadable) and the old file.

Crash-safe at every point: the manifest names the one current generation; a run finds any other
generation's key and file (older: left after a commit; newer: an attempt that died before committing)
and destroys them, then carries on; the audit event of a committed generation is recorded once, by the
run that committed it or by the next one. Key-store backups older than the retention are destroyed,
key first. The worker runs this every ``CLIENTVAULT_BACKUP_PURGE_INTERVAL_MINUTES``.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from clientvault.backups import events, keys, keystore_dump, locks
from clientvault.backups import manifest as mf
from clientvault.core import clock
from clientvault.core.context import Context, system_context
from clientvault.crypto.models import KeyDestruction, ShreddedKey

log = logging.getLogger(__name__)


def deleted_customers() -> set[uuid.UUID]:
    """Customers whose key was shredded or whose destruction is requested (pending reads as destroyed)."""
    return set(ShreddedKey.objects.values_list("customer_id", flat=True)) | set(
        KeyDestruction.objects.values_list("customer_id", flat=True)
    )


def purge_deleted_from_backups() -> int:
    """Re-wrap every key-store backup without the customers whose keys were shredded; returns how many keys
    were dropped. Idempotent and crash-safe (see the module doc); also destroys expired key-store backups."""
    ctx = system_context(channel="task")
    dropped = 0
    with locks.backups_lock(exclusive=True):
        _clear_abandoned()
        doomed = deleted_customers()
        for backup_id in mf.backup_ids():
            try:
                dropped += _purge_one(ctx, backup_id, doomed)
            except (mf.BackupInvalid, keys.BackupKeyMissing) as exc:
                log.error("backup %s skipped by the purge: %s", backup_id, exc)
    return dropped


def _clear_abandoned() -> None:
    """Under the exclusive lock no backup is being written: a ``.partial-`` folder (and its keys) was left by
    a process that died, and keys without any backup are of backups removed by hand. Both go."""
    complete = set(mf.backup_ids())
    for backup_id in keys.backup_ids_with_keys():
        if backup_id in complete:
            continue
        partial = mf.partial_folder_at(keys.location(backup_id, default=mf.root()), backup_id)
        if partial.exists():
            shutil.rmtree(partial)
        keys.destroy_all(backup_id)  # the backup is gone: so are its keys (a copy elsewhere stays unreadable)


def _purge_one(ctx: Context, backup_id: str, doomed: set[uuid.UUID]) -> int:
    document = mf.read(backup_id)
    if not mf.signature_ok(document):
        raise mf.BackupInvalid("manifest signature does not verify")
    events.record_created(ctx, backup_id, document)
    ks = document["keystore"]
    current = int(ks["generation"])
    _reconcile(backup_id, document)
    if ks.get("destroyed_at"):
        events.record_purged(ctx, backup_id, "expired", {"generation": current, "reason": "retention"})
        return 0
    if current > 1:
        last = document["purges"][-1]
        events.record_purged(ctx, backup_id, f"g{current}", {"generation": current, "dropped": last["dropped"]})
    if _expired(document):
        _destroy_keystore(ctx, backup_id, document)
        return 0
    with mf.open_keystore(backup_id, document) as src:
        drop = keystore_dump.held_customers(src, backup_id=backup_id) & doomed
    if not drop:
        return 0
    return _rewrite(ctx, backup_id, document, drop)


def _reconcile(backup_id: str, document: dict[str, Any]) -> None:
    """Destroy every key-store key and file other than the manifest's current generation (after a crash)."""
    ks = document["keystore"]
    current = None if ks.get("destroyed_at") else int(ks["generation"])
    for generation in keys.keystore_generations(backup_id):
        if generation != current:
            keys.destroy(backup_id, keys.KEYSTORE, generation)
    directory = mf.folder(backup_id)
    for path in directory.glob("keystore.g*.enc"):
        if current is None or path.name != mf.keystore_file(current):
            path.unlink()
    keys.fsync_dir(directory)


def _rewrite(ctx: Context, backup_id: str, document: dict[str, Any], drop: set[uuid.UUID]) -> int:
    directory = mf.folder(backup_id)
    old = int(document["keystore"]["generation"])
    new = old + 1
    fresh = keys.create(backup_id, keys.KEYSTORE, new)
    target = directory / mf.keystore_file(new)
    with (
        mf.open_keystore(backup_id, document) as src,
        open(target, "wb") as raw,
        fresh.new_encrypting_stream(raw, keys.associated_data(backup_id, keys.KEYSTORE, new)) as enc,
    ):
        counts = keystore_dump.rewrite(src, enc, backup_id=backup_id, drop=drop)
    mf.fsync_file(target)
    facts = mf.facts(target)
    body = dict(document)
    body["keystore"] = {
        **document["keystore"],
        "file": target.name,
        "generation": new,
        "sha256": facts.sha256,
        "size": facts.size,
        "rows": counts.keys,
        "tombstones": counts.tombstones,
    }
    body["purges"] = [*document.get("purges", []), {"generation": new, "at": clock.now().isoformat(), "dropped": counts.dropped}]
    mf.write(directory, body)  # commit: from here the old generation is garbage
    keys.destroy(backup_id, keys.KEYSTORE, old)  # every copy of the old key-store file is unreadable now
    (directory / mf.keystore_file(old)).unlink(missing_ok=True)
    keys.fsync_dir(directory)
    events.record_purged(ctx, backup_id, f"g{new}", {"generation": new, "dropped": counts.dropped})
    return counts.dropped


def _expired(document: dict[str, Any]) -> bool:
    created = dt.datetime.fromisoformat(str(document["created_at"]))
    return clock.now() - created > dt.timedelta(days=settings.CLIENTVAULT_KEYSTORE_BACKUP_RETENTION_DAYS)


def _destroy_keystore(ctx: Context, backup_id: str, document: dict[str, Any]) -> None:
    """Retention: the key-store backup goes, its key first (a copy elsewhere is unreadable from that moment)."""
    directory: Path = mf.folder(backup_id)
    ks = document["keystore"]
    keys.destroy(backup_id, keys.KEYSTORE, int(ks["generation"]))
    (directory / str(ks["file"])).unlink(missing_ok=True)
    keys.fsync_dir(directory)
    mf.write(directory, {**document, "keystore": {**ks, "destroyed_at": clock.now().isoformat()}})
    events.record_purged(ctx, backup_id, "expired", {"generation": int(ks["generation"]), "reason": "retention"})
