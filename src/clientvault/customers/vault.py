"""Sealing customer personal data into ciphertext columns, and revealing it for a selector.

ARCHITECTURE.md rule 6: every personal field of a customer is encrypted with that customer's own key
(``crypto.cipher``), bound to (model, field, customer); equality search uses keyed blind indexes. The
schema holds no plaintext copy. ``reveal`` sets the plaintext (or, later, masked) values as plain
attributes of the instance for templates and schemas; only selectors and services call it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import BooleanField

from clientvault.crypto import cipher, keystore

if TYPE_CHECKING:
    from django.db.models import QuerySet

MODEL = "customers.customer"
ENCRYPTED_FIELDS = (
    "name", "id_number", "birth_date", "sex", "mobile", "email", "address", "occupation",
    "uscc", "legal_representative", "registered_address", "bank_card", "custom_data",
)  # fmt: skip
BLIND_INDEXED = ("name", "id_number", "mobile", "email", "uscc", "bank_card")
_EMPTY: dict[str, Any] = {"birth_date": None, "custom_data": {}}


def column(field: str) -> str:
    return f"{field}_ct"


def index_column(field: str) -> str:
    return f"{field}_bidx"


def _to_text(field: str, value: Any) -> str:
    if value in (None, "", {}):
        return ""
    if field == "birth_date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if field == "custom_data":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _from_text(field: str, text: str) -> Any:
    if text == "":
        return _EMPTY.get(field, "")
    if field == "birth_date":
        return dt.date.fromisoformat(text)
    if field == "custom_data":
        return json.loads(text)
    return text


def seal(customer: Any, values: Mapping[str, Any], *, ensure_key: bool = True) -> None:
    """Encrypt the given plaintext values into the instance's ciphertext and blind-index columns."""
    if ensure_key:
        keystore.create_customer_key(customer.pk)
    for field, value in values.items():
        if field not in ENCRYPTED_FIELDS:
            continue
        text = _to_text(field, value)
        setattr(customer, column(field), cipher.encrypt(customer.pk, MODEL, field, text) if text else b"")
        if field in BLIND_INDEXED:
            setattr(customer, index_column(field), cipher.blind_index(field, text) if text else b"")


def unseal(customer: Any, fields: Iterable[str] = ENCRYPTED_FIELDS) -> dict[str, Any]:
    """Decrypt the named fields of one customer. Raises keystore.KeyDestroyed after shredding."""
    out: dict[str, Any] = {}
    for field in fields:
        blob = bytes(getattr(customer, column(field)) or b"")
        out[field] = _from_text(field, cipher.decrypt(customer.pk, MODEL, field, blob) if blob else "")
    return out


def reveal(customer: Any, fields: Iterable[str] = ENCRYPTED_FIELDS) -> Any:
    """Put the decrypted values on the instance as attributes (``customer.name`` …) and return it.

    A customer whose key was destroyed (crypto-shredding) comes back with every personal field empty and
    ``erased`` set; a ciphertext that was altered or moved raises (fail closed).
    """
    wanted = tuple(fields)
    try:
        values = unseal(customer, wanted)
        customer.erased = False
    except keystore.KeyDestroyed:
        values = {f: _EMPTY.get(f, "") for f in wanted}
        customer.erased = True
    for field, value in values.items():
        setattr(customer, field, value)
    return customer


KEY_DOOMED = "key_destruction_requested"
_QS = TypeVar("_QS", bound="QuerySet[Any]")


def with_key_state(qs: _QS) -> _QS:
    """The customers with, in the same SELECT, whether their key's destruction was requested (the intent
    lives in the data database and commits with the act): ``load_keys`` then needs no separate check."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    from clientvault.crypto.models import KeyDestruction

    quote = connection.ops.quote_name
    outer = f"{quote(qs.model._meta.db_table)}.{quote(qs.model._meta.pk.column)}"
    intent = KeyDestruction._meta
    # Names come from model metadata, quoted by the backend (a raw EXISTS compiles far cheaper than the
    # ORM's correlated subquery, on the hot path of every read); nothing here is user input.
    sql = f"EXISTS (SELECT 1 FROM {quote(intent.db_table)} WHERE {quote(intent.get_field('customer_id').column)} = {outer})"  # noqa: S608
    return qs.annotate(**{KEY_DOOMED: RawSQL(sql, (), output_field=BooleanField())})  # noqa: S611


def load_keys(customers: Iterable[Any]) -> None:
    """Fetch the keys of these customers in one key-store statement (read with ``with_key_state``, the
    rows say which keys are doomed; otherwise the key store is asked)."""
    rows = list(customers)
    if rows and all(hasattr(c, KEY_DOOMED) for c in rows):
        keystore.prefetch([c.pk for c in rows], doomed={c.pk for c in rows if getattr(c, KEY_DOOMED)})
    else:
        keystore.prefetch([c.pk for c in rows])


def index(field: str, value: str) -> bytes:
    """The blind index a search term would have in ``field`` (b"" for an empty term)."""
    return cipher.blind_index(field, value) if value and value.strip() else b""


# --- Follow-ups ---------------------------------------------------------------------------------
# What was said with a customer is their personal data too (issue #11): sealed under the customer's key,
# bound to (model, field, customer, follow-up), and erased with the key.

FOLLOWUP_MODEL = "customers.followup"
FOLLOWUP_FIELDS = ("summary", "next_step")


def seal_followup(followup: Any, values: Mapping[str, str]) -> None:
    """Encrypt the follow-up's text fields into its ciphertext columns (the customer's key must exist)."""
    for field, value in values.items():
        if field not in FOLLOWUP_FIELDS:
            continue
        text = str(value or "")
        sealed = cipher.encrypt(followup.customer_id, FOLLOWUP_MODEL, field, text, row=followup.pk) if text else b""
        setattr(followup, column(field), sealed)


def unseal_followup(followup: Any, fields: Iterable[str] = FOLLOWUP_FIELDS) -> dict[str, str]:
    """Decrypt the named text fields of one follow-up. Raises keystore.KeyDestroyed after shredding."""
    out: dict[str, str] = {}
    for field in fields:
        blob = bytes(getattr(followup, column(field)) or b"")
        out[field] = cipher.decrypt(followup.customer_id, FOLLOWUP_MODEL, field, blob, row=followup.pk) if blob else ""
    return out
