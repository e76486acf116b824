from __future__ import annotations

from django_tasks import task


@task()
def rewrap_customer_keys(batch: int = 500, trigger: str = "rotation") -> int:
    """Re-wrap every customer key under the current primary key-encryption key (after a rotation)."""
    from clientvault.core.context import system_context
    from clientvault.crypto.services import rewrap_keys

    return rewrap_keys(ctx=system_context(channel="task"), batch=batch, trigger=trigger)["rewrapped"]


@task()
def sweep_rewrap() -> int:
    """Periodic sweep: re-wrap keys left under an old key-encryption key (a re-wrap a crash interrupted)."""
    return int(rewrap_customer_keys.call(trigger="sweep"))


@task()
def finish_key_destructions() -> int:
    """Periodic sweep: destroy the keys whose destruction committed but did not complete (idempotent)."""
    from clientvault.crypto.keystore import finish_pending_destructions

    return finish_pending_destructions()
