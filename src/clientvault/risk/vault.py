"""Sealing the credit-risk models' personal columns under the customer's own key (ARCHITECTURE.md rule 6).

Each ``*_ct`` column is AEAD ciphertext bound to the customer, the model, the field and the row (the same row
id cannot carry another row's ciphertext); destroying the customer's key erases them everywhere. Text columns
(notes) hold the text; structured ones (a score's record, a warning's evidence) hold JSON.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from clientvault.crypto import cipher, keystore

# model label -> its sealed fields (each stored in ``<field>_ct``); the catalogue keys are "<model>.<field>".
SEALED: dict[str, tuple[str, ...]] = {
    "risk.creditscore": ("record",),
    "risk.credithold": ("note",),
    "risk.creditreview": ("note",),
    "risk.earlywarning": ("evidence",),
}


def _label(row: Any) -> str:
    return row._meta.label_lower  # type: ignore[no-any-return]


def customer_of(row: Any) -> uuid.UUID:
    """The customer whose key seals the row (every sealed model hangs off a credit file)."""
    customer_id = row.credit_file.customer_id
    assert isinstance(customer_id, uuid.UUID)
    return customer_id


def seal(row: Any, field: str, value: str | dict[str, Any] | list[Any], *, customer_id: uuid.UUID | None = None) -> None:
    """Encrypt ``value`` (text, or JSON for dicts and lists) into ``row.<field>_ct``; empty text seals to b""."""
    label = _label(row)
    if field not in SEALED.get(label, ()):
        raise ValueError(f"{label}.{field} is not a sealed field")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    owner = customer_id or customer_of(row)
    setattr(row, f"{field}_ct", cipher.encrypt(owner, label, field, text, row=row.pk) if text else b"")


def open_text(row: Any, field: str, *, customer_id: uuid.UUID | None = None) -> str | None:
    """The sealed text, "" when nothing was sealed, None when the customer's key was destroyed (erased)."""
    blob = bytes(getattr(row, f"{field}_ct") or b"")
    if not blob:
        return ""
    try:
        return cipher.decrypt(customer_id or customer_of(row), _label(row), field, blob, row=row.pk)
    except keystore.KeyDestroyed:
        return None


def open_json(row: Any, field: str, *, customer_id: uuid.UUID | None = None) -> Any:
    """The sealed JSON value; None when nothing was sealed or the key was destroyed."""
    text = open_text(row, field, customer_id=customer_id)
    return json.loads(text) if text else None
