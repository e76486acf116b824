from __future__ import annotations

from django_tasks import task


@task()
def rewrap_customer_keys(batch: int = 500) -> int:
    """Re-wrap every customer key under the current primary key-encryption key (after a rotation)."""
    from clientvault.crypto.fields import rewrap

    return rewrap(batch=batch)


@task()
def finish_key_destructions() -> int:
    """Periodic sweep: destroy the keys whose destruction committed but did not complete (idempotent)."""
    from clientvault.crypto.fields import finish_pending_destructions

    return finish_pending_destructions()
