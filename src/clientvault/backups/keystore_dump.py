"""The key store serialised for a backup: JSON lines, one per customer key or shredding tombstone.

Each key is still wrapped under the key-encryption keyset (as in the store); the whole file is then
encrypted under the backup's own key-store key, so an old copy of it becomes unreadable once that
per-backup key is destroyed (``services.purge_deleted_from_backups``). Tombstones travel too: a restored
key store refuses to recreate the key of a customer erased before the backup (or purged from it since).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import IO, Any

from clientvault.core import clock
from clientvault.crypto.models import CustomerKey, ShreddedKey

FORMAT = "clientvault.keystore-backup/1"
BATCH = 2000


@dataclass
class Counts:
    keys: int = 0
    tombstones: int = 0
    dropped: int = 0


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), sort_keys=True).encode() + b"\n"


def dump(out: IO[bytes], *, backup_id: str) -> Counts:
    """Write every customer key and tombstone of the live key store to ``out``."""
    counts = Counts()
    out.write(_line({"format": FORMAT, "backup_id": backup_id}))
    rows = CustomerKey.objects.order_by("pk").values_list("customer_id", "wrapped", "kek_key_id", "created_at")
    for cid, wrapped, kek_id, created in rows.iterator(chunk_size=BATCH):
        out.write(_line({"k": str(cid), "w": base64.b64encode(bytes(wrapped)).decode(), "i": int(kek_id), "c": created.isoformat()}))
        counts.keys += 1
    for cid, shredded in ShreddedKey.objects.order_by("pk").values_list("customer_id", "shredded_at").iterator(chunk_size=BATCH):
        out.write(_line({"s": str(cid), "at": shredded.isoformat()}))
        counts.tombstones += 1
    return counts


def records(source: IO[bytes], *, backup_id: str) -> Iterator[dict[str, Any]]:
    """The records of a decrypted key-store backup, after checking its header names this backup."""
    header = json.loads(source.readline() or b"{}")
    if header.get("format") != FORMAT or header.get("backup_id") != backup_id:
        raise ValueError("not the key-store backup of this backup")
    pending = b""
    while chunk := source.read(1 << 20):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line:
                yield json.loads(line)
    if pending.strip():
        yield json.loads(pending)


def rewrite(source: IO[bytes], out: IO[bytes], *, backup_id: str, drop: Collection[uuid.UUID]) -> Counts:
    """Copy a key-store backup without the keys of ``drop``, leaving a tombstone for each dropped key."""
    counts = Counts()
    wanted = {str(c) for c in drop}
    out.write(_line({"format": FORMAT, "backup_id": backup_id}))
    tombstoned: set[str] = set()
    for record in records(source, backup_id=backup_id):
        if "k" in record and record["k"] in wanted:
            counts.dropped += 1
            continue
        if "s" in record:
            tombstoned.add(record["s"])
            counts.tombstones += 1
        else:
            counts.keys += 1
        out.write(_line(record))
    now = clock.now().isoformat()
    for cid in sorted(wanted - tombstoned):
        out.write(_line({"s": cid, "at": now}))
        counts.tombstones += 1
    return counts


def held_customers(source: IO[bytes], *, backup_id: str) -> set[uuid.UUID]:
    return {uuid.UUID(r["k"]) for r in records(source, backup_id=backup_id) if "k" in r}


def load(source: IO[bytes], *, backup_id: str) -> Counts:
    """Insert a key-store backup's rows into the (empty, migrated) key store of this process's settings."""
    from django.db import transaction

    from clientvault.core import bulk
    from clientvault.crypto.router import KEYS_DB

    counts = Counts()
    keys_batch: list[CustomerKey] = []
    tombs: list[ShreddedKey] = []
    with transaction.atomic(using=KEYS_DB):
        for record in records(source, backup_id=backup_id):
            if "k" in record:
                keys_batch.append(
                    CustomerKey(
                        customer_id=uuid.UUID(record["k"]),
                        wrapped=base64.b64decode(record["w"]),
                        kek_key_id=int(record["i"]),
                        created_at=dt.datetime.fromisoformat(record["c"]),
                    )
                )
                counts.keys += 1
            else:
                tombs.append(ShreddedKey(customer_id=uuid.UUID(record["s"]), shredded_at=dt.datetime.fromisoformat(record["at"])))
                counts.tombstones += 1
            if len(keys_batch) >= BATCH:
                bulk.insert(CustomerKey, keys_batch, batch_size=BATCH)
                keys_batch = []
        bulk.insert(CustomerKey, keys_batch, batch_size=BATCH)
        bulk.insert(ShreddedKey, tombs, batch_size=BATCH)
    return counts
