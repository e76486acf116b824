"""Audited key operations: initialise, rotate, re-wrap, shred (ARCHITECTURE.md rules 2 and 6)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.accounts import roles as R
from clientvault.audit import services as audit
from clientvault.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.crypto import fields, keyring


def require_key_custodian(ctx: Context) -> None:
    """Key operations run from the server's command line (system context) or by compliance."""
    if not (ctx.actor is None and "system" in ctx.roles) and not ctx.has_role(R.COMPLIANCE_OFFICER):
        raise PermissionDenied(_("Only the key custodian may perform key operations."))


@transaction.atomic
def initialise_keys(*, ctx: Context) -> bool:
    """Create the keysets if they are missing."""
    require_key_custodian(ctx)
    created = keyring.initialise()
    if created:
        audit.record(ctx, "crypto.keys_initialised", object_type="crypto.keyset")
    return created


@transaction.atomic
def rotate_keys(*, ctx: Context, rewrap_now: bool = False) -> int:
    """Make a new primary key-encryption key; re-wrap customer keys now or in the background."""
    require_key_custodian(ctx)
    new_id = keyring.rotate_kek()
    audit.record(ctx, "crypto.keys_rotated", object_type="crypto.keyset", object_id=str(new_id), detail={"rewrap_now": rewrap_now})
    if rewrap_now:
        done = fields.rewrap()
        audit.record(ctx, "crypto.keys_rewrapped", object_type="crypto.keyset", object_id=str(new_id), detail={"rewrapped": done})
    else:
        from clientvault.crypto.tasks import rewrap_customer_keys

        transaction.on_commit(rewrap_customer_keys.enqueue)
    return new_id
