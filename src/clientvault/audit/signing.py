"""The Ed25519 key that signs audit checkpoints — a Tink keyset in a file, never in the database.

The keyset file is encrypted under the master AEAD like the other keysets (``crypto/keyring.py``),
with associated data naming its role. Keys use Tink's RAW output prefix, so a signature is a plain
64-byte Ed25519 signature that any library checks with the 32-byte public key; a key's id is the
first 16 hex digits of SHA-256 over that public key. Rotation adds a key and keeps the old ones, so
old checkpoints still verify. ``public_keys()`` is what a third party needs (``audit pubkey``).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import tink  # type: ignore[import-untyped]
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from tink import secret_key_access, signature  # type: ignore[import-untyped]
from tink.proto import ed25519_pb2, tink_pb2  # type: ignore[import-untyped]

from clientvault.crypto import keyring

ROLE = b"clientvault/keyset/audit-signing"
ALGORITHM = "Ed25519"
signature.register()


class SigningKeyMissing(Exception):
    """No checkpoint-signing keyset (run ``clientvault audit init-key``)."""


def _template() -> tink_pb2.KeyTemplate:
    template = tink_pb2.KeyTemplate()
    template.CopyFrom(signature.signature_key_templates.ED25519)
    template.output_prefix_type = tink_pb2.RAW
    return template


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    sign: signature.PublicKeySign
    key_id: str
    public_keys: dict[str, bytes]


def path() -> Path:
    return Path(settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET)


def initialise() -> bool:
    """Create the signing keyset if it is missing; returns True if it was created."""
    created = _create_if_missing()
    reset_cache()
    return created


def _create_if_missing() -> bool:
    with keyring.keys_lock():  # two processes starting at once create one keyset, not two
        if path().exists():
            return False
        keyring.write_encrypted(path(), tink.new_keyset_handle(_template()), ROLE)
        return True


def rotate() -> str:
    """Add a fresh signing key and make it primary; old keys stay to verify old checkpoints."""
    with keyring.keys_lock():
        current = _keyset(keyring.read_encrypted(path(), ROLE))
        fresh = _keyset(tink.new_keyset_handle(_template()))
        current.key.append(fresh.key[0])
        current.primary_key_id = fresh.key[0].key_id
        handle = tink.proto_keyset_format.parse(current.SerializeToString(), secret_key_access.TOKEN)
        keyring.write_encrypted(path(), handle, ROLE)
    reset_cache()
    return signer().key_id


def _keyset(handle: tink.KeysetHandle, *, public: bool = False) -> tink_pb2.Keyset:
    raw = (
        tink.proto_keyset_format.serialize_without_secret(handle)
        if public
        else tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    )
    keyset = tink_pb2.Keyset()
    keyset.ParseFromString(raw)
    return keyset


_lock = threading.Lock()
_signer: Signer | None = None


def signer() -> Signer:
    global _signer
    with _lock:
        if _signer is None:
            if not path().exists():
                if not settings.CLIENTVAULT_AUTO_INIT_KEYS:
                    raise SigningKeyMissing(str(path()))
                _create_if_missing()
            handle = keyring.read_encrypted(path(), ROLE)
            public = _keyset(handle.public_keyset_handle(), public=True)
            keys: dict[str, bytes] = {}
            primary = ""
            for key in public.key:
                point = ed25519_pb2.Ed25519PublicKey()
                point.ParseFromString(key.key_data.value)
                keys[key_id(point.key_value)] = point.key_value
                if key.key_id == public.primary_key_id:
                    primary = key_id(point.key_value)
            _signer = Signer(sign=handle.primitive(signature.PublicKeySign), key_id=primary, public_keys=keys)
        return _signer


def reset_cache() -> None:
    global _signer
    with _lock:
        _signer = None


def public_keys() -> dict[str, bytes]:
    return dict(signer().public_keys)


def public_keys_b64() -> dict[str, str]:
    return {kid: base64.b64encode(raw).decode() for kid, raw in public_keys().items()}


def verify(public_key: bytes, signed: bytes, sig: bytes) -> bool:
    """Plain Ed25519 verification — the same check the documented third-party procedure makes."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(sig, signed)
    except (InvalidSignature, ValueError):
        return False
    return True
