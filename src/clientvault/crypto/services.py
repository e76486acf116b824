"""Audited key operations: initialise, rotate, re-wrap, shred (ARCHITECTURE.md rules 2 and 6)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.crypto import keyring, keystore


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


def rotate_keys(*, ctx: Context, rewrap_now: bool = False, batch: int = 500) -> int:
    """Make a new primary key-encryption key; re-wrap customer keys now or in the background.

    The rotation is recorded first; the new key reaches the keyset file only once that record has
    committed (a failure before leaves the old file untouched), then the re-wrap runs (``--now``) or
    is enqueued; the periodic sweep finishes any re-wrap a crash interrupted.
    """
    require_key_custodian(ctx)
    with transaction.atomic():
        key = keyring.new_kek_key()
        audit.record(ctx, "crypto.keys_rotated", object_type="crypto.keyset", object_id=str(key.key_id), detail={"rewrap_now": rewrap_now})
        transaction.on_commit(lambda: keyring.install_kek_key(key))
        if rewrap_now:
            transaction.on_commit(lambda: rewrap_keys(ctx=ctx, batch=batch, trigger="rotation"))
        else:
            from clientvault.crypto.tasks import rewrap_customer_keys

            transaction.on_commit(rewrap_customer_keys.enqueue)
    return int(key.key_id)


def rewrap_keys(*, ctx: Context, batch: int = 500, trigger: str = "command") -> dict[str, int]:
    """Re-wrap customer keys still under an old key-encryption key; one audit event per run with its
    counts (a run that found nothing to do, as the periodic sweep mostly does, records nothing)."""
    require_key_custodian(ctx)
    done = keystore.rewrap(batch=batch)
    counts = {"rewrapped": done, "remaining": keystore.pending_rewrap_count(), "primary_key_id": keyring.loaded().kek_primary_id}
    if done or trigger != "sweep":
        with transaction.atomic():
            audit.record(
                ctx,
                "crypto.keys_rewrapped",
                object_type="crypto.keyset",
                object_id=str(counts["primary_key_id"]),
                detail={**counts, "trigger": trigger},
            )
    return counts
