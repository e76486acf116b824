"""The lifecycle's work in the worker: the daily retention sweep and one erasure's steps (ids only, rule 8)."""

from __future__ import annotations

import uuid
from typing import Any

from django_tasks import task


@task()
def sweep() -> dict[str, Any]:
    """The daily retention sweep (PIPL-19, PIPL-47); also resumes erasures a crash left between steps."""
    from clientvault.lifecycle import sweep as sweeping

    return sweeping.sweep()


@task()
def run_erasure(erasure_id: str) -> str:
    """Run an erasure's remaining steps (each re-checks legal holds); safe to run twice."""
    from clientvault.lifecycle import erasure

    return erasure.run(uuid.UUID(erasure_id))
