"""The bulk read a scan needs: every customer's matching fields, decrypted in the worker's memory only.

Called by ``services.scan`` alone, which records one ``duplicates.scanned`` event for the read (how many
customers were decrypted, which fields) in the transaction that stores the results; nobody is shown a value,
so there is no per-customer read event (ARCHITECTURE.md rule 11 asks one for every *response that shows*
personal data; a cluster's evidence, when a person opens it, records one event per member it shows).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from clientvault.crypto import keystore
from clientvault.customers import vault
from clientvault.customers.models import Customer
from clientvault.dedupe.features import features

# What matching decrypts: the identifying and contact fields (never bank cards, custom fields, occupation).
READ_FIELDS = ("name", "id_number", "uscc", "birth_date", "sex", "mobile", "email", "address", "registered_address")
CHUNK = 2000
_REASON = "batch duplicate detection decrypts each customer's matching fields in the worker's memory; one duplicates.scanned event"


@dataclass(frozen=True)
class Scanned:
    customer_id: uuid.UUID
    legal_entity_id: uuid.UUID
    changed_at: dt.datetime
    row: dict[str, Any]


def _has_merged_into() -> bool:
    return any(f.name == "merged_into" for f in Customer._meta.get_fields())


def customers(*, legal_entity_id: uuid.UUID | None = None) -> Any:
    """The customers a scan covers: not merged away (issue #14 lineage), not restricted (PIPL-47: a restricted
    record is stored only — matching it is processing), not erased; optionally one legal entity."""
    qs: Any = Customer.objects.unrestricted(reason=_REASON).filter(restricted_at__isnull=True, erased_at__isnull=True)
    if legal_entity_id is not None:
        qs = qs.filter(legal_entity_id=legal_entity_id)
    if _has_merged_into():
        qs = qs.filter(merged_into__isnull=True)
    return qs


def feature_rows(*, legal_entity_id: uuid.UUID | None = None) -> Iterator[Scanned]:
    """Feature rows of every customer in scope, a chunk of keys at a time; shredded customers are skipped."""
    columns = ["id", "kind", "legal_entity_id", "updated_at", *(vault.column(f) for f in READ_FIELDS)]
    batch: list[Any] = []
    for customer in customers(legal_entity_id=legal_entity_id).order_by().only(*columns).iterator(chunk_size=CHUNK):
        batch.append(customer)
        if len(batch) >= CHUNK:
            yield from _decrypt(batch)
            batch = []
    if batch:
        yield from _decrypt(batch)


def _decrypt(batch: list[Any]) -> Iterator[Scanned]:
    keystore.prefetch([c.pk for c in batch])
    for customer in batch:
        try:
            values = vault.unseal(customer, READ_FIELDS)
        except keystore.KeyDestroyed:
            continue  # erased (crypto-shredded): nothing left to match
        uid = str(customer.pk)
        yield Scanned(
            customer.pk, customer.legal_entity_id, customer.updated_at, features(uid, customer.kind, str(customer.legal_entity_id), values)
        )
