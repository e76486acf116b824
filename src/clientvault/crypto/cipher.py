"""Field sealing: encrypt and decrypt with the customer's data key, and keyed blind indexes for equality search.

Every ciphertext is bound by its associated data to (model, field, customer): it cannot be moved to
another row or column. The keys themselves live in ``crypto/keystore.py``.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable

from clientvault.classification import validators as V
from clientvault.core.text import clean_text
from clientvault.crypto import keyring, keystore


def field_ad(model: str, field: str, customer_id: uuid.UUID, row: uuid.UUID | None = None) -> bytes:
    """Associated data binding a ciphertext to its model, field and customer (and, for a model with many
    rows per customer such as follow-ups, to its own row: a ciphertext cannot move between them)."""
    base = f"clientvault/field/v1|{model}|{field}|".encode() + customer_id.bytes
    return base if row is None else base + b"|" + row.bytes


def encrypt(customer_id: uuid.UUID, model: str, field: str, plaintext: str, *, row: uuid.UUID | None = None) -> bytes:
    return bytes(keystore.primitive(customer_id).encrypt(plaintext.encode("utf-8"), field_ad(model, field, customer_id, row)))


def decrypt(customer_id: uuid.UUID, model: str, field: str, ciphertext: bytes, *, row: uuid.UUID | None = None) -> str:
    """Plaintext of one field; raises KeyDestroyed after shredding, TinkError if moved or altered."""
    return bytes(keystore.primitive(customer_id).decrypt(bytes(ciphertext), field_ad(model, field, customer_id, row))).decode("utf-8")


def encrypt_bytes(customer_id: uuid.UUID, model: str, field: str, plaintext: bytes) -> bytes:
    """Like ``encrypt`` for a file (an evidence scan): bound to the customer, model and field."""
    return bytes(keystore.primitive(customer_id).encrypt(plaintext, field_ad(model, field, customer_id)))


def decrypt_bytes(customer_id: uuid.UUID, model: str, field: str, ciphertext: bytes) -> bytes:
    return bytes(keystore.primitive(customer_id).decrypt(bytes(ciphertext), field_ad(model, field, customer_id)))


# --- Blind indexes ------------------------------------------------------------------------------

_NORMALISERS: dict[str, Callable[[str], str]] = {
    "name": lambda v: "".join(unicodedata.normalize("NFKC", v).split()).casefold(),
    "id_number": V.normalize_resident_id,
    "mobile": V.normalize_mobile,
    "email": V.normalize_email,
    "uscc": V.normalize_uscc,
    "bank_card": V.normalize_bank_card,
    # An asset's account, policy or contract number (issue #13): letters and digits, case and spaces ignored.
    "asset_identifier": lambda v: "".join(ch for ch in v if ch.isalnum()).upper(),
}
BLIND_INDEX_KINDS = tuple(_NORMALISERS)
# Duplicate-matching keys (customers/matching.py, issue #14): the caller normalises (it derives several keys
# from one value: pinyin, a birth year, the last 8 digits…); each key kind is its own domain ("match.mobile"
# never collides with "mobile" or "match.mobile_tail8").
MATCH_KIND_PREFIX = "match."


def normalise(kind: str, value: str) -> str:
    # Invisible characters never make a different value: 张\u200b三 is indexed (and found) as 张三.
    cleaned = unicodedata.normalize("NFKC", clean_text(value))
    if kind.startswith(MATCH_KIND_PREFIX) and len(kind) > len(MATCH_KIND_PREFIX):
        return cleaned
    return _NORMALISERS[kind](cleaned)


def blind_index(kind: str, value: str) -> bytes:
    """A keyed 128-bit index of the normalised value, domain-separated by kind; b"" for empty values."""
    normalised = normalise(kind, value)
    if not normalised:
        return b""
    prf_set = keyring.loaded().bidx
    return bytes(prf_set.primary().compute(kind.encode() + b"\x00" + normalised.encode("utf-8"), 16))
