"""Worker tasks of credit risk (issue #16): the nightly re-evaluation of every credit file (core/schedule.py) and
the re-evaluation of one file when a payment arrives. Tasks take ids (rule 8) and run as the system for credit
assessment; the work is in ``risk/reevaluation.py``."""

from __future__ import annotations

import uuid

from django_tasks import task

from clientvault.risk import reevaluation


@task()
def reevaluate_all() -> int:
    """Score and evaluate every file not yet done today (chunked, resumable, idempotent)."""
    return reevaluation.nightly()


@task()
def reevaluate_on_payment(file_id: str) -> bool:
    """Score and evaluate one file after a repayment; False when the file no longer exists."""
    return reevaluation.on_payment(uuid.UUID(file_id)) is not None
