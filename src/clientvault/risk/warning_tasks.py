"""Worker jobs of early warning and score stability (issue #16), on the schedule in ``core/schedule.py``.

Each runs under the system context (no person's sight is widened) and calls the services; each is safe to re-run:
a fact already warned of is not warned of again, and a month already checked returns its stored check.
"""

from __future__ import annotations

from django_tasks import task

from clientvault.core.context import activate, system_context
from clientvault.risk import external, stability, warnings


@task()
def scan_internal_indicators() -> int:
    """Daily: the ledger and record indicators of every credit file; returns the warnings raised."""
    with activate(system_context(channel="task")) as ctx:
        return warnings.scan_internal(ctx).raised


@task()
def scan_external_indicators() -> int:
    """Daily: 天眼查 / 企查查 for organisation customers, when a connector is configured (else it records a skip)."""
    with activate(system_context(channel="task")) as ctx:
        return external.scan(ctx).raised


@task()
def check_score_stability() -> int:
    """Daily, acting once a month: the PSI of last month's scores per model (a stored month is not redone)."""
    with activate(system_context(channel="task")) as ctx:
        return len(stability.check_previous_month(ctx))
