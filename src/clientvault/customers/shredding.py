"""Crypto-shredding a customer: the customers app owns its rows, crypto owns the key (ARCHITECTURE.md rule 6).

One act, one audit event (``crypto.key_shredded``): in one transaction on the data database the event is
recorded, the customer's blind indexes are blanked and the key's destruction is requested; the key
store deletes the key only after that commit (``crypto.keystore.request_destruction``).
"""

from __future__ import annotations

import uuid

from django.db import transaction

from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.crypto import keystore
from clientvault.crypto.services import require_key_custodian
from clientvault.customers import matching, vault
from clientvault.customers.models import Customer


@transaction.atomic
def shred_customer(*, ctx: Context, customer_id: uuid.UUID) -> bool:
    """Destroy a customer's data key: their encrypted fields become unreadable in every copy.
    Returns whether the customer had a key. Irreversible once the transaction commits."""
    require_key_custodian(ctx)
    had_key = keystore.key_exists(customer_id)
    audit.record(ctx, "crypto.key_shredded", object_type="crypto.customerkey", object_id=str(customer_id), customer_id=customer_id)
    _erase_indexes(customer_id)
    keystore.request_destruction(customer_id)
    return had_key


def _erase_indexes(customer_id: uuid.UUID) -> None:
    """Blind indexes use a global key that is never shredded: blank them, so an erased customer can be
    neither found nor confirmed by a guessed identifier (the ciphertext stays, unreadable, as evidence)."""
    cleared: dict[str, object] = {vault.index_column(f): b"" for f in vault.BLIND_INDEXED}
    # The coarse child flag says roughly when the person was born: it goes with the key (rule 6).
    cleared["minor_until"] = None
    Customer.objects.unrestricted(reason="crypto-shredding blanks the erased customer's search indexes").filter(pk=customer_id).update(
        **cleared
    )
    matching.erase_keys(customer_id)  # derived from the same values: gone with them (issue #14)


def delete_entered_in_error(*, ctx: Context, customer_ids: list[uuid.UUID], detail: dict[str, object]) -> int:
    """Delete customers whose entry is undone as a whole (an import undone by its approved change request, issue #14),
    in the caller's transaction: one ``customer.deleted`` event each (with ``detail``, such as the batch), the
    rows, and their keys' destruction requested (rule 6: copies in backups stay unreadable). The caller decided
    which customers carry nothing since their entry (no follow-up, asset, consent, change, request)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("delete_entered_in_error must run inside the transaction of the act")
    held = Customer.objects.unrestricted(reason="an approved undo of an import deletes the customers it created").filter(
        pk__in=customer_ids
    )
    doomed = list(held.select_for_update().order_by("pk"))
    audit.record_many(ctx, (("customer.deleted", c, c.pk, []) for c in doomed), detail=detail)
    Customer.tags.through.objects.filter(customer_id__in=[c.pk for c in doomed]).delete()
    held.delete()
    for customer in doomed:
        keystore.request_destruction(customer.pk)
    return len(doomed)


def shred_customers(*, ctx: Context, customer_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """``shred_customer`` for a chunk (the retention sweep), in the caller's transaction: one event each in one
    insert, the indexes and match keys blanked set-based, the keys destroyed after the commit in one key-store
    transaction. Returns the customers that had a key."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("shred_customers must run inside the transaction of the act")
    require_key_custodian(ctx)
    ids = list(customer_ids)
    if not ids:
        return set()
    had = keystore.keys_exist(ids)
    audit.record_each(ctx, (("crypto.key_shredded", None, "crypto.customerkey", str(cid), cid, {}) for cid in ids))
    cleared: dict[str, object] = {vault.index_column(f): b"" for f in vault.BLIND_INDEXED}
    cleared["minor_until"] = None
    Customer.objects.unrestricted(reason="crypto-shredding blanks the erased customers' search indexes").filter(pk__in=ids).update(
        **cleared
    )
    matching.erase_keys_of(ids)
    keystore.request_destructions(ids)
    return had
