"""Scheduled worker tasks: the hourly full sealing sweep and the daily retention archive.

Continuous sealing runs in the worker's own sealing thread (``clientvault worker``), every
``CLIENTVAULT_AUDIT_SEAL_SECONDS``, without a task row per run.
"""

from __future__ import annotations

from django_tasks import task

from clientvault.audit import sealing, services
from clientvault.core.context import system_context


@task()
def seal_full_sweep() -> int:
    """Seal events that committed after a long-open transaction, below the watermark."""
    return sealing.seal(full=True).sealed


@task()
def archive_expired_events() -> int:
    return services.archive_expired(system_context(channel="system")).events


@task()
def flush_denied_access() -> int:
    """Write the count of denied accesses over the per-minute bound once their minute is over."""
    from clientvault.audit import denied

    return denied.flush()
