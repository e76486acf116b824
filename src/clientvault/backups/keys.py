"""Per-backup keys: a streaming-AEAD keyset per data backup and per key-store backup generation.

They live in the key directory (``CLIENTVAULT_KEYS_DIR/backups/<backup id>/``), each encrypted under the
master AEAD like every keyset (``crypto/keyring.py``), with associated data naming the backup and the role —
never beside the backup files. Destroying a key (unlink, then fsync the folder) makes every copy of what it
encrypted unreadable, wherever that copy went (tape, offsite).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import tink  # type: ignore[import-untyped]
from django.conf import settings
from tink import streaming_aead  # type: ignore[import-untyped]

from clientvault.crypto import keyring

streaming_aead.register()

_ID = re.compile(r"^bk-\d{8}T\d{6}Z-[0-9a-f]{8}$")
DATA = "data"
KEYSTORE = "keystore"


class BackupKeyMissing(Exception):
    """The per-backup key is gone (destroyed, or this is not the key directory that made the backup)."""


def check_id(backup_id: str) -> str:
    if not _ID.match(backup_id):
        raise ValueError(f"not a backup id: {backup_id!r}")
    return backup_id


def folder(backup_id: str) -> Path:
    return Path(settings.CLIENTVAULT_KEYS_DIR) / "backups" / check_id(backup_id)


def _name(role: str, generation: int) -> str:
    return f"{DATA}.keyset.json" if role == DATA else f"{KEYSTORE}.g{generation}.keyset.json"


def _role(backup_id: str, role: str, generation: int) -> bytes:
    return f"clientvault/keyset/backup|{backup_id}|{role}|g{generation if role == KEYSTORE else 0}".encode()


def associated_data(backup_id: str, role: str, generation: int = 0) -> bytes:
    """Binds a backup file to its backup, role and generation: a file swapped for another fails to decrypt."""
    return f"clientvault/backup/v1|{backup_id}|{role}|g{generation}".encode()


def create(backup_id: str, role: str, generation: int = 0) -> streaming_aead.StreamingAead:
    """A fresh key, written (atomically, fsynced) before anything is encrypted under it."""
    handle = tink.new_keyset_handle(streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB)
    path = folder(backup_id) / _name(role, generation)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    keyring.write_encrypted(path, handle, _role(backup_id, role, generation))
    return handle.primitive(streaming_aead.StreamingAead)


def load(backup_id: str, role: str, generation: int = 0) -> streaming_aead.StreamingAead:
    path = folder(backup_id) / _name(role, generation)
    if not path.exists():
        raise BackupKeyMissing(f"{role} key of backup {backup_id} (generation {generation})")
    return keyring.read_encrypted(path, _role(backup_id, role, generation)).primitive(streaming_aead.StreamingAead)


def exists(backup_id: str, role: str, generation: int = 0) -> bool:
    return (folder(backup_id) / _name(role, generation)).exists()


def keystore_generations(backup_id: str) -> list[int]:
    """The key-store key generations present for a backup (normally one)."""
    found = []
    base = folder(backup_id)
    if base.exists():
        for path in base.glob(f"{KEYSTORE}.g*.keyset.json"):
            number = path.name[len(KEYSTORE) + 2 : -len(".keyset.json")]
            if number.isdigit():
                found.append(int(number))
    return sorted(found)


def destroy(backup_id: str, role: str, generation: int = 0) -> bool:
    """Delete a per-backup key for good (idempotent); returns whether it existed."""
    path = folder(backup_id) / _name(role, generation)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


def destroy_all(backup_id: str) -> None:
    """Every key of a backup (the backup itself is gone)."""
    base = folder(backup_id)
    if base.exists():
        shutil.rmtree(base)
        fsync_dir(base.parent)


def record_location(backup_id: str, root: Path) -> None:
    """Remember where a backup is written (its keys' folder is how the purge finds every backup)."""
    path = folder(backup_id) / "location"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(str(Path(root).resolve()), encoding="utf-8")
    fsync_dir(path.parent)


def location(backup_id: str, *, default: Path) -> Path:
    path = folder(backup_id) / "location"
    return Path(path.read_text(encoding="utf-8").strip()) if path.exists() else default


def backup_ids_with_keys() -> list[str]:
    base = Path(settings.CLIENTVAULT_KEYS_DIR) / "backups"
    return sorted(p.name for p in base.iterdir() if p.is_dir() and _ID.match(p.name)) if base.exists() else []


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
