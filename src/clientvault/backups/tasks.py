from __future__ import annotations

from django_tasks import task


@task()
def purge_backups() -> int:
    """Periodic: key-store backups re-wrapped without deleted customers; expired ones destroyed (issue #15)."""
    from clientvault.backups.purge import purge_deleted_from_backups

    return purge_deleted_from_backups()
