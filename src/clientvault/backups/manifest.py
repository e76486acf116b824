"""A backup on disk: its folder, its signed manifest, atomic file writes and hashing.

``BACKUP_DIR/<backup id>/`` holds ``manifest.json``, ``data.enc`` (the native dump, streaming-AEAD) and
``keystore.g<N>.enc`` (the key store's rows, generation N: each purge writes the next generation under a
new key). A backup is written in ``.partial-<id>/`` and renamed into place once complete, so a crash never
leaves a half backup that looks whole. The manifest is signed with the audit checkpoint key (Ed25519,
``audit pubkey`` verifies it offline); it is replaced atomically (temp file, fsync, rename), and that
rename is the commit point of every change to a backup.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from clientvault.audit import signing
from clientvault.backups import keys

FORMAT = "clientvault.backup/1"
MANIFEST = "manifest.json"
DATA_FILE = "data.enc"
PARTIAL = ".partial-"


class BackupInvalid(Exception):
    """The backup is missing, incomplete, or does not verify."""


def root() -> Path:
    return Path(settings.CLIENTVAULT_BACKUP_DIR)


def folder(backup_id: str) -> Path:
    """Where a backup lies: the folder recorded beside its keys when it was made (``--out``), else the backup dir."""
    return keys.location(backup_id, default=root()) / keys.check_id(backup_id)


def partial_folder_at(base: Path, backup_id: str) -> Path:
    return base / f"{PARTIAL}{keys.check_id(backup_id)}"


def keystore_file(generation: int) -> str:
    return f"keystore.g{generation}.enc"


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: dict[str, Any]) -> dict[str, Any]:
    """The manifest with its signature over the canonical JSON of everything else."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    signer = signing.signer()
    value = signer.sign.sign(canonical(unsigned))
    return {**unsigned, "signature": {"algorithm": signing.ALGORITHM, "key_id": signer.key_id, "value": base64.b64encode(value).decode()}}


def signature_ok(document: dict[str, Any]) -> bool:
    sig = document.get("signature") or {}
    public = signing.public_keys().get(str(sig.get("key_id", "")))
    if public is None:
        return False
    try:
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
    except ValueError:
        return False
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return signing.verify(public, canonical(unsigned), value)


def read(backup_id: str) -> dict[str, Any]:
    path = folder(backup_id) / MANIFEST
    if not path.exists():
        raise BackupInvalid(f"no backup {backup_id} in {root()}")
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupInvalid(f"manifest of {backup_id} is unreadable: {exc}") from None
    return document


def write(directory: Path, document: dict[str, Any]) -> None:
    """Sign and replace the manifest atomically: the old one or the new one, never half of one."""
    atomic_write(directory / MANIFEST, json.dumps(sign(document), indent=2, sort_keys=True, ensure_ascii=False).encode())


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    keys.fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size: int


def facts(path: Path) -> FileFacts:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return FileFacts(sha256=digest.hexdigest(), size=size)


def backup_ids() -> list[str]:
    """Complete backups (with a manifest), oldest first (ids sort by creation time): those whose keys are
    in the key directory (wherever they were written) and those in the backup dir."""
    found = {bid for bid in keys.backup_ids_with_keys() if (folder(bid) / MANIFEST).exists()}
    base = root()
    if base.exists():
        for path in base.iterdir():
            if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST).exists():
                try:
                    found.add(keys.check_id(path.name))
                except ValueError:
                    continue
    return sorted(found)


def open_keystore(backup_id: str, document: dict[str, Any]) -> IO[bytes]:
    """The decrypting stream of a backup's current key-store generation."""
    ks = document["keystore"]
    generation = int(ks["generation"])
    raw = open(folder(backup_id) / ks["file"], "rb")  # noqa: SIM115 - closed by the decrypting stream
    stream: IO[bytes] = keys.load(backup_id, keys.KEYSTORE, generation).new_decrypting_stream(
        raw, keys.associated_data(backup_id, keys.KEYSTORE, generation)
    )
    return stream
