"""The key that protects the keysets: a master secret from the environment, or a key in an HSM.

Anything with Tink's ``Aead`` interface can fill this role. ``MasterSecretAead`` derives an
AES-256-GCM key from ``CLIENTVAULT_MASTER_KEY`` with HKDF-SHA256; ``pkcs11_kek.Pkcs11Aead`` uses an
AES-256 key that never leaves a PKCS#11 token (``CLIENTVAULT_PKCS11_*``).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tink import aead, core  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from clientvault.crypto.pkcs11_kek import Pkcs11Config

_VERSION = b"\x01"
_NONCE = 12
# Used only where CLIENTVAULT_ENV is development, test or demo; the production check refuses it.
DEV_MASTER_KEY = base64.b64encode(b"clientvault-development-master-key-not-secret!!").decode()


class MasterSecretAead(aead.Aead):  # type: ignore[misc]
    """AES-256-GCM under a key derived from the master secret; output = version | nonce | ciphertext."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the master secret must be at least 32 bytes")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"clientvault/kek/v1", info=b"keyset-encryption").derive(secret)
        self._aes = AESGCM(key)

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aes.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        if len(ciphertext) < 1 + _NONCE + 16 or ciphertext[:1] != _VERSION:
            raise core.TinkError("not a master-secret ciphertext")
        nonce = ciphertext[1 : 1 + _NONCE]
        try:
            return self._aes.decrypt(nonce, ciphertext[1 + _NONCE :], associated_data)
        except Exception as exc:  # cryptography raises InvalidTag
            raise core.TinkError("decryption under the master secret failed") from exc


def decode_master_key(value: str) -> bytes:
    """The master secret is base64 (standard or URL-safe) of at least 32 random bytes."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if ("-" in value or "_" in value) else None, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("CLIENTVAULT_MASTER_KEY is not valid base64") from None
    if len(raw) < 32:
        raise ValueError("CLIENTVAULT_MASTER_KEY must encode at least 32 bytes")
    return raw


def pkcs11_config(settings: Any) -> Pkcs11Config | None:
    """The PKCS#11 configuration, or None when the master secret protects the keysets."""
    if not settings.CLIENTVAULT_PKCS11_MODULE:
        return None
    from clientvault.crypto.pkcs11_kek import Pkcs11Config

    return Pkcs11Config(
        module=settings.CLIENTVAULT_PKCS11_MODULE,
        token_label=settings.CLIENTVAULT_PKCS11_TOKEN_LABEL,
        key_label=settings.CLIENTVAULT_PKCS11_KEY_LABEL,
        pin=settings.CLIENTVAULT_PKCS11_PIN,
        pin_file=settings.CLIENTVAULT_PKCS11_PIN_FILE,
    )


def master_aead(*, master_key: str, pkcs11: Pkcs11Config | None = None) -> aead.Aead:
    """The keyset-encryption AEAD configured for this deployment."""
    if pkcs11 is not None:
        from clientvault.crypto.pkcs11_kek import Pkcs11Aead

        return Pkcs11Aead(pkcs11)
    return MasterSecretAead(decode_master_key(master_key))
