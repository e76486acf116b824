"""Helper process for the nightly re-evaluation kill test: ``python -m clientvault.risk.tests.procs ACTION``.

Runs against the databases and keys directory its environment names (a temporary deployment the test set up).
``seed N`` builds an organisation, N customers with a loan in arrears and a credit file each, and enqueues the
nightly re-evaluation task; ``retry`` runs the abandoned-task sweep the worker's schedule runs.
"""

from __future__ import annotations

import json
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    import django

    django.setup()


def seed(count: int) -> None:
    from clientvault.audit.models import AuditEvent
    from clientvault.risk.tasks import reevaluate_all
    from clientvault.risk.tests import files_helpers as H
    from clientvault.testing.organisation import make_org

    org = make_org()
    for _ in range(count):
        H.open_file(org, H.book(org).customer)
    cutoff = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    task = reevaluate_all.enqueue()
    print(json.dumps({"audit_cutoff": cutoff, "task": str(task.id)}))


def retry() -> None:
    from clientvault.core.tasks import retry_abandoned_tasks

    print(json.dumps({"retried": retry_abandoned_tasks.call()}))


if __name__ == "__main__":
    _setup()
    action = sys.argv[1]
    if action == "seed":
        seed(int(sys.argv[2]))
    elif action == "retry":
        retry()
    else:
        raise SystemExit(f"unknown action {action}")
