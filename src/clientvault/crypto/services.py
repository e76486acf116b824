"""Audited key operations: initialise, rotate, re-wrap, shred (ARCHITECTURE.md rules 2 and 6)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.accounts import roles as R
from clientvault.audit import services as audit
from clientvault.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.crypto import fields, keyring


def _require_operator(ctx: Context) -> None:
    """Key operations run from the server's command line (system context) or by compliance."""
    if not (ctx.actor is None and "system" in ctx.roles) and not ctx.has_role(R.COMPLIANCE_OFFICER):
        raise PermissionDenied(_("Only the key custodian may perform key operations."))


@transaction.atomic
def initialise_keys(*, ctx: Context) -> bool:
    """Create the keysets if they are missing."""
    _require_operator(ctx)
    created = keyring.initialise()
    if created:
        audit.record(ctx, "crypto.keys_initialised", object_type="crypto.keyset")
    return created


@transaction.atomic
def rotate_keys(*, ctx: Context, rewrap_now: bool = False) -> int:
    """Make a new primary key-encryption key; re-wrap customer keys now or in the background."""
    _require_operator(ctx)
    new_id = keyring.rotate_kek()
    audit.record(ctx, "crypto.keys_rotated", object_type="crypto.keyset", object_id=str(new_id), detail={"rewrap_now": rewrap_now})
    if rewrap_now:
        done = fields.rewrap()
        audit.record(ctx, "crypto.keys_rewrapped", object_type="crypto.keyset", object_id=str(new_id), detail={"rewrapped": done})
    else:
        from clientvault.crypto.tasks import rewrap_customer_keys

        transaction.on_commit(rewrap_customer_keys.enqueue)
    return new_id


@transaction.atomic
def shred_customer_key(*, ctx: Context, customer_id: uuid.UUID) -> bool:
    """Destroy a customer's data key: their encrypted fields become unreadable in every copy.

    The audit event is written first in the same transaction; if the key store fails, the event
    rolls back with it. Irreversible once it returns.
    """
    _require_operator(ctx)
    audit.record(ctx, "crypto.key_shredded", object_type="crypto.customerkey", object_id=str(customer_id), customer_id=customer_id)
    _erase_indexes(customer_id)
    return fields.shred_key(customer_id)


def _erase_indexes(customer_id: uuid.UUID) -> None:
    """Blind indexes use a global key that is never shredded: blank them, so an erased customer can be
    neither found nor confirmed by a guessed identifier (the ciphertext stays, unreadable, as evidence)."""
    from clientvault.customers import vault
    from clientvault.customers.models import Customer

    cleared: dict[str, object] = {vault.index_column(f): b"" for f in vault.BLIND_INDEXED}
    # The coarse child flag says roughly when the person was born: it goes with the key (rule 6).
    cleared["minor_until"] = None
    Customer.objects.unrestricted(reason="crypto-shredding blanks the erased customer's blind indexes").filter(pk=customer_id).update(
        **cleared
    )
