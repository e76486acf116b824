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
