from __future__ import annotations

from django_tasks import task

from clientvault.core.context import system_context

# Batch detection reads every customer's matching fields: the purpose is keeping records accurate (compliance).
SCAN_PURPOSE = "compliance_review"


@task()
def scan_duplicates(full: bool = False) -> str:
    """Scan for duplicates (incremental unless ``full`` or no model yet); returns the scan id."""
    from clientvault.dedupe import services

    scan = services.scan(ctx=system_context(channel="task", purpose=SCAN_PURPOSE), incremental=not full)
    return str(scan.pk)
