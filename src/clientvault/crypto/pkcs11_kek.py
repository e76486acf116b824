"""The key-encryption key held in an HSM through PKCS#11 (``CLIENTVAULT_PKCS11_*``).

An AES-256 key that never leaves the token (generated there, sensitive and not extractable) encrypts
and decrypts the keyset files with AES-GCM *on the token*. Output: version 0x02 | 12-byte nonce |
ciphertext and tag. Tested against SoftHSM2; any PKCS#11 v2.40 module offering CKM_AES_GCM fits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.mechanisms import GCMParams
from tink import aead, core  # type: ignore[import-untyped]

_VERSION = b"\x02"
_NONCE = 12
_libs: dict[str, Any] = {}
_libs_lock = threading.Lock()


class Pkcs11Unavailable(Exception):
    """The PKCS#11 module, token or key cannot be reached (wrong path, label, PIN, or missing key)."""


@dataclass(frozen=True)
class Pkcs11Config:
    module: str
    token_label: str
    key_label: str
    pin: str = ""
    pin_file: str = ""

    def user_pin(self) -> str:
        if self.pin_file:
            try:
                return Path(self.pin_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise Pkcs11Unavailable(f"cannot read the PIN file {self.pin_file}: {exc.strerror}") from None
        if not self.pin:
            raise Pkcs11Unavailable("no PIN: set CLIENTVAULT_PKCS11_PIN or CLIENTVAULT_PKCS11_PIN_FILE")
        return self.pin


def _lib(module: str) -> Any:
    with _libs_lock:
        if module not in _libs:
            if not Path(module).is_file():
                raise Pkcs11Unavailable(f"PKCS#11 module not found: {module}")
            _libs[module] = pkcs11.lib(module)
        return _libs[module]


@contextmanager
def _session(config: Pkcs11Config, *, rw: bool = False) -> Iterator[Any]:
    try:
        token = _lib(config.module).get_token(token_label=config.token_label)
        with token.open(user_pin=config.user_pin(), rw=rw) as session:
            yield session
    except pkcs11.exceptions.NoSuchToken:
        raise Pkcs11Unavailable(f"no PKCS#11 token labelled {config.token_label!r}") from None
    except pkcs11.exceptions.PinIncorrect:
        raise Pkcs11Unavailable(f"the PIN of token {config.token_label!r} is incorrect") from None


def _key(session: Any, config: Pkcs11Config) -> Any:
    try:
        return session.get_key(object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=config.key_label)
    except pkcs11.exceptions.NoSuchKey:
        raise Pkcs11Unavailable(f"no AES key labelled {config.key_label!r} on token {config.token_label!r}") from None


def generate_key(config: Pkcs11Config) -> bool:
    """Create the AES-256 key-encryption key on the token (sensitive, never extractable); returns
    False if a key with that label is already there."""
    with _session(config, rw=True) as session:
        try:
            _key(session, config)
            return False
        except Pkcs11Unavailable:
            pass
        session.generate_key(
            KeyType.AES,
            256,
            label=config.key_label,
            store=True,
            template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.ENCRYPT: True, Attribute.DECRYPT: True},
        )
        return True


def check(config: Pkcs11Config) -> None:
    """Open the token, find the key and round-trip a value through it; raises Pkcs11Unavailable."""
    box = Pkcs11Aead(config)
    if box.decrypt(box.encrypt(b"clientvault", b"check"), b"check") != b"clientvault":
        raise Pkcs11Unavailable("the token's AES-GCM round trip failed")


class Pkcs11Aead(aead.Aead):  # type: ignore[misc]
    """Tink's ``Aead`` interface over AES-GCM on the token. A session is opened per operation (keysets
    are read at start-up and on rotation only), so forked web workers never share one."""

    def __init__(self, config: Pkcs11Config) -> None:
        self.config = config

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        with _session(self.config) as session:
            sealed = _key(session, self.config).encrypt(
                plaintext, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, associated_data, 128)
            )
        return _VERSION + nonce + bytes(sealed)

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        if len(ciphertext) < 1 + _NONCE + 16 or ciphertext[:1] != _VERSION:
            raise core.TinkError("not a PKCS#11 key-encryption ciphertext")
        nonce = ciphertext[1 : 1 + _NONCE]
        with _session(self.config) as session:
            key = _key(session, self.config)
            try:
                opened = key.decrypt(
                    ciphertext[1 + _NONCE :], mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, associated_data, 128)
                )
            except pkcs11.exceptions.PKCS11Error as exc:
                raise core.TinkError("decryption with the PKCS#11 key failed") from exc
        return bytes(opened)
