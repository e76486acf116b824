"""Rotation across real processes: no failed read during a rotation (item 3), and a rotation killed
with SIGKILL is finished by the next worker, with events recorded (item 4). Issue #11.

Each test runs a small deployment of its own (SQLite files and a keys directory in a temporary
folder): the processes are real `clientvault` commands and helper processes (``procs.py``).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from clientvault.testing.deployments import sqlite_env

ROOT = Path(__file__).resolve().parents[4]


class Deployment:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = sqlite_env(folder)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        if check:
            assert done.returncode == 0, done.stderr[-3000:]
        return done

    def clientvault(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "clientvault", *args, check=check)

    def procs(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "clientvault.crypto.tests.procs", *args, check=check)

    def start_procs(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "clientvault.crypto.tests.procs", *args], env=self.env, cwd=ROOT, text=True)

    def query(self, db: str, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.folder / db) as conn:
            return list(conn.execute(sql))

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.clientvault("keys", "status").stdout)
        return result

    def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.query("data.sqlite3", f"SELECT detail FROM audit_auditevent WHERE event_type = '{event_type}' ORDER BY id")
        return [json.loads(r[0]) for r in rows]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated deployment per module; each test copies it."""
    folder = tmp_path_factory.mktemp("deployment")
    Deployment(folder).clientvault("migrate", "-v0")
    return folder


@pytest.fixture
def deployment(migrated: Path, tmp_path: Path) -> Deployment:
    folder = tmp_path / "deployment"
    shutil.copytree(migrated, folder)
    return Deployment(folder)


def test_a_rotation_costs_no_failed_read_in_another_process(deployment: Deployment) -> None:
    folder = deployment.folder
    deployment.procs("seed", "300", str(folder / "sealed.json"))
    reader = deployment.start_procs(
        "read", str(folder / "sealed.json"), str(folder / "stop"), str(folder / "ready"), str(folder / "out.json")
    )
    try:
        deadline = time.monotonic() + 120
        while not (folder / "ready").exists():
            assert reader.poll() is None and time.monotonic() < deadline, "the reader did not start"
            time.sleep(0.1)
        # The reader holds the keyset as it was; the rotation re-wraps every key under a key it lacks.
        deployment.clientvault("keys", "rotate", "--now", "--batch", "50")
        time.sleep(6)  # longer than the reader's own keyset-file check interval
    finally:
        (folder / "stop").write_text("stop")
        reader.wait(timeout=120)
    result = json.loads((folder / "out.json").read_text())
    assert result["reads"] > 300 and result["failures"] == 0, result
    assert deployment.status()["pending_rewrap"] == 0


def test_a_rotation_killed_mid_rewrap_is_recorded_and_the_next_worker_finishes_it(deployment: Deployment) -> None:
    deployment.procs("seed", "400", str(deployment.folder / "sealed.json"))
    killed = deployment.procs("rotate-and-die", "100", check=False)  # `keys rotate --now`, SIGKILL after one batch
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert len(deployment.events("crypto.keys_rotated")) == 1  # recorded before the work
    assert deployment.status()["pending_rewrap"] == 300

    deployment.clientvault("worker", "--batch", "--no-seal")  # the periodic sweep picks the rest up
    assert deployment.status()["pending_rewrap"] == 0
    [sweep] = deployment.events("crypto.keys_rewrapped")
    assert sweep["trigger"] == "sweep" and sweep["rewrapped"] == 300 and sweep["remaining"] == 0


def test_a_worker_killed_during_the_background_rewrap_is_retried_by_the_next_one(deployment: Deployment) -> None:
    deployment.procs("seed", "400", str(deployment.folder / "sealed.json"))
    deployment.clientvault("keys", "rotate")  # enqueues the background re-wrap
    killed = deployment.procs("worker-and-die", check=False)  # SIGKILL inside the re-wrap's first batch
    assert killed.returncode == -9, killed.stderr[-2000:]
    sql = "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = 'clientvault.crypto.tasks.rewrap_customer_keys'"
    assert deployment.query("data.sqlite3", sql) == [("RUNNING",)]  # what django-tasks-db leaves behind
    assert deployment.status()["pending_rewrap"] == 400

    deployment.clientvault("worker", "--batch", "--no-seal")
    assert sorted(deployment.query("data.sqlite3", sql)) == [("FAILED",), ("SUCCESSFUL",)]  # marked failed, run again
    assert deployment.status()["pending_rewrap"] == 0
    assert len(deployment.events("crypto.keys_rotated")) == 1
    runs = deployment.events("crypto.keys_rewrapped")
    assert sum(r["rewrapped"] for r in runs) == 400 and runs[-1]["remaining"] == 0
