from __future__ import annotations

from django_tasks import task


@task()
def rewrap_customer_keys(batch: int = 500) -> int:
    """Re-wrap every customer key under the current primary key-encryption key (after a rotation)."""
    from clientvault.crypto.fields import rewrap

    return rewrap(batch=batch)
