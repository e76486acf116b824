"""Crash test of the nightly re-evaluation (issue #16; "a kill -9 at any moment leaves nothing half-done, and the
interrupted work resumes by itself"). A real ``clientvault worker`` running the nightly task over a few dozen
credit files is killed with SIGKILL while it scores them; every file it scored was also evaluated and audited
(score, evaluation, holds and event commit together), none half-way; the abandoned-task sweep the schedule runs
marks the task failed and enqueues it again; the next worker finishes the rest, each file scored once tonight.

It builds its own deployment on an SQLite file in a temporary folder (never the test database), so it runs once,
in the SQLite pass: the PostgreSQL pass would repeat it unchanged.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from clientvault.testing.deployments import sqlite_env

ROOT = Path(__file__).resolve().parents[4]
FILES = 40

pytestmark = pytest.mark.db_independent


class Deployment:
    def __init__(self, folder: Path) -> None:
        self.data, self.log = folder / "data.sqlite3", folder / "worker.log"
        self.env = sqlite_env(folder)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def worker(self) -> subprocess.Popen[str]:
        """A worker running what is queued, then exiting; its output goes to a file (a full pipe would block it)."""
        args = ["-m", "clientvault", "worker", "--batch", "--no-schedule", "--no-seal"]
        with self.log.open("a", encoding="utf-8") as log:
            return subprocess.Popen([sys.executable, *args], env=self.env, cwd=ROOT, text=True, stdout=log, stderr=subprocess.STDOUT)

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8")[-3000:]

    def one(self, sql: str, *params: Any) -> Any:
        with sqlite3.connect(self.data, timeout=30) as conn:
            return conn.execute(sql, params).fetchone()[0]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data, timeout=30) as conn:
            return list(conn.execute(sql))


NIGHTLY = "SELECT count(*) FROM risk_creditscore WHERE trigger = 'nightly'"


def _consistent(d: Deployment, cutoff: int) -> int:
    """Every nightly score has its evaluation and its event, and no evaluation or event lacks its score."""
    scored = d.one(NIGHTLY)
    evaluated = d.one("SELECT count(*) FROM audit_auditevent WHERE event_type = 'credit.evaluated' AND id > ?", cutoff)
    files = d.one(
        "SELECT count(*) FROM risk_creditfile f WHERE EXISTS (SELECT 1 FROM risk_creditscore s WHERE s.credit_file_id = f.id "
        "AND s.trigger = 'nightly' AND f.evaluated_at >= s.scored_at)"
    )
    assert scored == evaluated == files, (scored, evaluated, files)
    return int(scored)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_worker_killed_during_the_nightly_run_leaves_no_half_evaluated_file_and_the_retry_finishes(tmp_path: Path) -> None:
    from django.utils import timezone

    local = timezone.localtime()
    if local.hour == 23 and local.minute >= 50:  # "tonight" must not change under the test: each file once per day
        pytest.skip("too close to midnight in the deployment's time zone")
    d = Deployment(tmp_path)
    d.run("-m", "clientvault", "migrate", "-v0")
    seeded = json.loads(d.run("-m", "clientvault.risk.tests.procs", "seed", str(FILES)).stdout.strip().splitlines()[-1])
    cutoff = seeded["audit_cutoff"]
    assert d.one(NIGHTLY) == 0

    worker = d.worker()
    try:
        deadline = time.monotonic() + 300
        while d.one(NIGHTLY) < 5 and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.poll() is None, f"the worker ended before it could be killed: {d.tail()}"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        _stop(worker)

    done_before = _consistent(d, cutoff)
    assert 5 <= done_before < FILES, done_before  # killed part-way: the test proves something only then
    assert d.one("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?", seeded["task"].replace("-", "")) == "RUNNING"

    assert json.loads(d.run("-m", "clientvault.risk.tests.procs", "retry").stdout.strip().splitlines()[-1]) == {"retried": 1}
    resumed = d.worker()
    try:
        assert resumed.wait(timeout=600) == 0, d.tail()
    finally:
        _stop(resumed)

    assert _consistent(d, cutoff) == FILES
    assert d.one("SELECT count(DISTINCT credit_file_id) FROM risk_creditscore WHERE trigger = 'nightly'") == FILES  # each once
    task_rows = d.rows("SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = 'clientvault.risk.tasks.reevaluate_all'")
    statuses = sorted(status for (status,) in task_rows)
    assert statuses == ["FAILED", "SUCCESSFUL"]
