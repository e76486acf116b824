"""Uploaded files at rest (issue #14): encrypted with Tink streaming AEAD under CLIENTVAULT_IMPORT_DIR.

The streaming keyset lives in the key directory (CLIENTVAULT_KEYS_DIR, ``import-files.keyset.json``),
itself encrypted under the master AEAD with associated data naming its role (``crypto.keyring``) — never in
the data database. Each file is bound to its batch id (associated data), so one batch's file cannot be
swapped for another's. The stored name is random; the file name the user gave is metadata on the batch.
A file is deleted when its batch is done or undone (``delete``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

import tink  # type: ignore[import-untyped]
from django.conf import settings
from tink import streaming_aead  # type: ignore[import-untyped]

from clientvault.crypto import keyring

ROLE = b"clientvault/keyset/import-files"
CHUNK = 1 << 20
streaming_aead.register()


def keyset_path() -> Path:
    return Path(settings.CLIENTVAULT_KEYS_DIR) / "import-files.keyset.json"


def _primitive() -> streaming_aead.StreamingAead:
    path = keyset_path()
    if not path.exists():
        with keyring.keys_lock():  # two processes starting at once create one keyset, not two
            if not path.exists():
                template = streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB
                keyring.write_encrypted(path, tink.new_keyset_handle(template), ROLE)
    return keyring.read_encrypted(path, ROLE).primitive(streaming_aead.StreamingAead)


def _ad(batch_id: uuid.UUID) -> bytes:
    return b"clientvault/import-file/" + str(batch_id).encode()


def directory() -> Path:
    path = Path(settings.CLIENTVAULT_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store(batch_id: uuid.UUID, source: BinaryIO | Path) -> tuple[str, str, int]:
    """Encrypt ``source`` into a new file; (stored name, SHA-256 of the plaintext, size in bytes)."""
    name = secrets.token_hex(16)
    digest = hashlib.sha256()
    size = 0
    target = directory() / name
    handle = source.open("rb") if isinstance(source, Path) else source
    try:
        with open(target, "xb") as out, _primitive().new_encrypting_stream(out, _ad(batch_id)) as enc:
            os.chmod(target, 0o600)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                enc.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(source, Path):
            handle.close()
    return name, digest.hexdigest(), size


@contextmanager
def open_plain(batch_id: uuid.UUID, stored_name: str) -> Iterator[IO[bytes]]:
    """The stored file decrypted as it is read (authenticated segment by segment)."""
    with open(directory() / stored_name, "rb") as raw, _primitive().new_decrypting_stream(raw, _ad(batch_id)) as plain:
        yield plain


def delete(stored_name: str) -> None:
    if stored_name:
        (directory() / stored_name).unlink(missing_ok=True)
