"""The credit-review work in the worker (issue #16): the daily periodic-review schedule (ids only, rule 8)."""

from __future__ import annotations

from django_tasks import task


@task()
def schedule_reviews() -> int:
    """Open the periodic credit reviews falling due within the lead (idempotent)."""
    from clientvault.risk import reviews

    return reviews.schedule_reviews()
