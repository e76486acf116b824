"""The key that protects the keysets: a master secret from the environment, or a KMS.

Anything with Tink's ``Aead`` interface can fill this role. ``MasterSecretAead`` derives an
AES-256-GCM key from ``CLIENTVAULT_MASTER_KEY`` with HKDF-SHA256; Tink's KMS integrations
(AWS KMS, Google Cloud KMS, HashiCorp Vault) return an ``Aead`` for a key URI and drop in here
through ``CLIENTVAULT_KMS_URI`` once their integration package is installed.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tink import aead, core  # type: ignore[import-untyped]

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


def master_aead(*, master_key: str, kms_uri: str = "") -> aead.Aead:
    """The keyset-encryption AEAD configured for this deployment."""
    if kms_uri:
        import tink  # type: ignore[import-untyped]

        try:
            client = tink.kms_client_from_uri(kms_uri)
        except core.TinkError as exc:
            raise ValueError(f"no KMS client is registered for {kms_uri.split('://')[0]}://; install Tink's integration") from exc
        return client.get_aead(kms_uri)
    return MasterSecretAead(decode_master_key(master_key))
