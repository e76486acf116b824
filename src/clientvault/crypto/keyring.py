"""The two keysets: the key-encryption keyset (wraps per-customer keys) and the blind-index keyset.

Each lives in its own JSON file, encrypted under the master AEAD (``kek.py``) with associated data
naming its role, so one cannot be swapped for the other. Rotation adds a new primary key; old keys
stay in the keyset so everything they wrapped still opens, until ``keys status`` shows none in use.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tink  # type: ignore[import-untyped]
from django.conf import settings
from tink import aead, prf, secret_key_access  # type: ignore[import-untyped]
from tink.proto import tink_pb2  # type: ignore[import-untyped]

from clientvault.crypto.kek import master_aead, pkcs11_config

KEK_ROLE = b"clientvault/keyset/key-encryption"
BIDX_ROLE = b"clientvault/keyset/blind-index"


class KeysMissing(Exception):
    """The keyset files are not there (run ``clientvault keys init``)."""


@dataclass(frozen=True)
class KeysetFiles:
    kek: Path
    bidx: Path


def files() -> KeysetFiles:
    base = Path(settings.CLIENTVAULT_KEYS_DIR)
    return KeysetFiles(kek=base / "key-encryption.keyset.json", bidx=base / "blind-index.keyset.json")


def _master() -> aead.Aead:
    return master_aead(master_key=settings.CLIENTVAULT_MASTER_KEY, pkcs11=pkcs11_config(settings))


def write_encrypted(path: Path, handle: tink.KeysetHandle, role: bytes) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    data = tink.json_proto_keyset_format.serialize_encrypted(handle, _master(), role)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyset-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def read_encrypted(path: Path, role: bytes) -> tink.KeysetHandle:
    if not path.exists():
        raise KeysMissing(str(path))
    return tink.json_proto_keyset_format.parse_encrypted(path.read_text(encoding="utf-8"), _master(), role)


@contextmanager
def keys_lock() -> Iterator[None]:
    """An exclusive lock on the keys directory, so two processes never rotate or create at once
    (a lost update would lose a key-encryption key, and every customer key it wrapped)."""
    folder = files().kek.parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def initialise() -> bool:
    """Create both keysets if missing; returns True if anything was created.

    A missing blind-index keyset beside an existing key-encryption keyset is refused: a new index key
    would silently break every existing index and duplicate check.
    """
    with keys_lock():
        return _initialise()


def _initialise() -> bool:
    paths = files()
    if paths.kek.exists() != paths.bidx.exists() and paths.kek.exists():
        raise KeysMissing(f"{paths.bidx} is missing while {paths.kek} exists: restore it from backup")
    created = False
    if not paths.kek.exists():
        write_encrypted(paths.kek, tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM), KEK_ROLE)
        created = True
    if not paths.bidx.exists():
        write_encrypted(paths.bidx, tink.new_keyset_handle(prf.prf_key_templates.HMAC_SHA256), BIDX_ROLE)
        created = True
    if created:
        reset_cache()
    return created


def _keyset_proto(handle: tink.KeysetHandle) -> tink_pb2.Keyset:
    raw = tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    keyset = tink_pb2.Keyset()
    keyset.ParseFromString(raw)
    return keyset


def rotate_kek() -> int:
    """Add a fresh AES-256-GCM key to the key-encryption keyset and make it primary; returns its id."""
    key = new_kek_key()
    install_kek_key(key)
    return int(key.key_id)


def new_kek_key() -> tink_pb2.Keyset.Key:
    """A fresh AES-256-GCM key for the key-encryption keyset, not yet written anywhere (the rotation
    writes it with ``install_kek_key`` once its audit event has committed)."""
    used = {k.key_id for k in _keyset_proto(read_encrypted(files().kek, KEK_ROLE)).key}
    while True:  # ids are random 32-bit values; collisions are possible
        key = _keyset_proto(tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM)).key[0]
        if key.key_id not in used:
            return key


def install_kek_key(key: tink_pb2.Keyset.Key) -> None:
    """Add ``key`` to the keyset file as its primary (idempotent). Re-reads the file under the lock, so a
    concurrent rotation's key is kept (a lost update would lose every customer key it wrapped)."""
    with keys_lock():
        paths = files()
        current = _keyset_proto(read_encrypted(paths.kek, KEK_ROLE))
        if any(k.key_id == key.key_id for k in current.key):
            return
        current.key.append(key)
        current.primary_key_id = key.key_id
        handle = tink.proto_keyset_format.parse(current.SerializeToString(), secret_key_access.TOKEN)
        write_encrypted(paths.kek, handle, KEK_ROLE)
    reset_cache()


@dataclass(frozen=True)
class Loaded:
    kek: aead.Aead
    kek_primary_id: int
    kek_key_ids: tuple[int, ...]
    bidx: prf.PrfSet


_lock = threading.Lock()
_loaded: Loaded | None = None
_stamp: tuple[float, float] = (0.0, 0.0)  # (file mtime when loaded, last time the file was checked)
RELOAD_CHECK_SECONDS = 5.0


def _kek_mtime() -> float:
    try:
        return files().kek.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def loaded() -> Loaded:
    """The keysets' primitives, loaded once per process and reloaded when the keyset file changes
    (a rotation by `clientvault keys rotate` reaches every web process within seconds)."""
    global _loaded, _stamp
    # Both files, not just the first written: a thread arriving while another initialises (under the lock) would
    # otherwise see the key-encryption keyset alone and fail on the blind-index one (KeysMissing).
    if settings.CLIENTVAULT_AUTO_INIT_KEYS and _loaded is None and not (files().kek.exists() and files().bidx.exists()):
        initialise()
    with _lock:
        now = time.monotonic()
        if _loaded is not None and now - _stamp[1] >= RELOAD_CHECK_SECONDS:
            mtime = _kek_mtime()
            _loaded = None if mtime != _stamp[0] else _loaded
            _stamp = (_stamp[0], now)
        if _loaded is None:
            _stamp = (_kek_mtime(), now)
            paths = files()
            kek_handle = read_encrypted(paths.kek, KEK_ROLE)
            info = kek_handle.keyset_info()
            _loaded = Loaded(
                kek=kek_handle.primitive(aead.Aead),
                kek_primary_id=int(info.primary_key_id),
                kek_key_ids=tuple(int(k.key_id) for k in info.key_info),
                bidx=read_encrypted(paths.bidx, BIDX_ROLE).primitive(prf.PrfSet),
            )
        return _loaded


def reload() -> Loaded:
    """Load the keysets from their files now (a ciphertext names a key this process does not hold)."""
    reset_cache()
    return loaded()


def reset_cache() -> None:
    global _loaded
    with _lock:
        _loaded = None
