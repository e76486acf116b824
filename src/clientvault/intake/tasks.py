"""The worker's side of an import: the task holds the batch id only, never a value (resumable: core.tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(batch_id: str) -> str:
    """Import the batch's rows from its checkpoint on; safe to run again after a crash."""
    import uuid

    from clientvault.intake import services

    batch = services.run_chunks(uuid.UUID(batch_id))
    return str(batch.state)
