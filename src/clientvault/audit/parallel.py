"""Checking leaves against event rows in worker processes over disjoint index ranges (issue #12).

Recomputing a leaf is CPU work in Python (read a row, canonicalise, hash); the tree walk over the
stored hashes is light. On a large log the verifier therefore hands the leaf ranges to
``CLIENTVAULT_AUDIT_VERIFY_WORKERS`` forked processes, each with its own database connection,
while the calling process walks the tree. What an auditor waits for is the wall time of the whole
``verify``. Small logs, an open transaction (a worker could not see its rows) and in-memory SQLite
stay in the calling process.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult

from django.conf import settings
from django.db import connection, connections
from django.db.models import Max, Min

from clientvault.audit import rowscan
from clientvault.audit.models import AuditLeaf

PARALLEL_MIN_LEAVES = 50_000
SLICE = 50_000  # leaves per task: small enough to balance two workers, large enough to amortise a task


def workers() -> int:
    return max(1, settings.CLIENTVAULT_AUDIT_VERIFY_WORKERS)


def _can_fork() -> bool:
    if sys.platform == "win32" or multiprocessing.current_process().daemon or connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return bool(name) and ":memory:" not in name and "mode=memory" not in name
    return connection.vendor == "postgresql"


def _work(bounds: tuple[int, int]) -> rowscan.RangeResult:
    return rowscan.check_range(*bounds)


def merge(results: list[rowscan.RangeResult]) -> rowscan.RangeResult:
    merged = rowscan.RangeResult()
    for part in results:
        merged.leaves += part.leaves
        merged.edited += part.edited
        merged.missing += part.missing
        merged.slow_rows += part.slow_rows
    return merged


@dataclass
class Pending:
    """Leaves ``[lo, hi)`` — every leaf when the check started — being checked; ``result()`` waits."""

    lo: int
    hi: int
    result: Callable[[], rowscan.RangeResult]


def check_leaves_async(processes: int | None = None) -> Pending:
    """Start checking every leaf that exists now against its event row."""
    bounds = AuditLeaf.objects.aggregate(lo=Min("index"), hi=Max("index"))
    if bounds["lo"] is None:
        return Pending(0, 0, rowscan.RangeResult)
    lo, hi = int(bounds["lo"]), int(bounds["hi"]) + 1
    processes = workers() if processes is None else processes
    if processes < 2 or hi - lo < PARALLEL_MIN_LEAVES or not _can_fork():
        return Pending(lo, hi, lambda: rowscan.check_range(lo, hi))
    ranges = [(start, min(start + SLICE, hi)) for start in range(lo, hi, SLICE)]
    # Forked children must open their own connections: close ours first (reopened on next use).
    connections.close_all()
    # Objects that exist now are left out of the children's garbage collection: a collection that
    # walked the parent's heap would copy every page of it into each child (copy-on-write).
    gc.freeze()
    try:
        pool = multiprocessing.get_context("fork").Pool(processes)
    finally:
        gc.unfreeze()
    pending: AsyncResult[list[rowscan.RangeResult]] = pool.map_async(_work, ranges, chunksize=1)
    pool.close()

    def result() -> rowscan.RangeResult:
        try:
            return merge(pending.get())
        finally:
            pool.join()

    return Pending(lo, hi, result)
