"""Crash test (issue #14): a real `clientvault import` of a few thousand rows is killed with SIGKILL after its first
checkpoint; no customer is half-written; `--resume` imports every row exactly once. On SQLite (a deployment of its
own in a temporary folder) and on PostgreSQL (the test database, committed by a transactional test).

Keys: the chunk being written when the process died may have left data keys in the key store for ids that never
got a row (the key store commits first). They are orphans — never used, never reused: every customer has its own
key and the re-run makes new ids (engine.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[4]
ROWS = 3000


class Deployment:
    def __init__(self, folder: Path, data_url: str, keys_url: str) -> None:
        self.folder, self.data_url, self.keys_url = folder, data_url, keys_url
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_", "DJANGO_"))},
            "CLIENTVAULT_ENV": "test",
            "CLIENTVAULT_VAR_DIR": str(folder),
            "DATABASE_URL": data_url,
            "CLIENTVAULT_KEYS_DATABASE_URL": keys_url,
            "CLIENTVAULT_KEYS_DIR": str(folder / "keys"),
            "CLIENTVAULT_IMPORT_DIR": str(folder / "imports"),
            "CLIENTVAULT_IMPORT_CHUNK": "200",
            "PYTHONPATH": str(ROOT / "src"),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, *args], env=self.env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def query(self, which: str, sql: str) -> list[tuple[Any, ...]]:
        url = self.data_url if which == "data" else self.keys_url
        if url.startswith("sqlite"):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                return list(conn.execute(sql))
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
            return list(conn.execute(sql))

    def one(self, which: str, sql: str) -> Any:
        return self.query(which, sql)[0][0]


def _url(settings: dict[str, Any]) -> str:
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    user, password = settings.get("USER") or "postgres", settings.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    return f"postgres://{auth}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Deployment:
    if connection.vendor == "postgresql":
        request.getfixturevalue("transactional_db")
        return Deployment(tmp_path, _url(connections["default"].settings_dict), _url(connections["keys"].settings_dict))
    d = Deployment(tmp_path, f"sqlite:///{tmp_path / 'data.sqlite3'}", f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    done = d.run("-m", "clientvault", "migrate", "-v0")
    assert done.returncode == 0, done.stderr[-3000:]
    return d


@pytest.mark.django_db(databases=["default", "keys"], transaction=True)
def test_a_killed_import_leaves_no_half_written_customer_and_resumes_exactly_once(deployment: Deployment) -> None:
    d = deployment
    csv_path = d.folder / "clients.csv"
    seeded = d.run("-m", "clientvault.intake.tests.procs", "seed", str(ROWS), str(csv_path))
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    owner = seeded.stdout.strip().splitlines()[-1]
    args = ["-m", "clientvault", "import", str(csv_path), "--owner", owner, "--source-system", "legacy", "--lawful-basis", "contract"]
    proc = d.start(*args)
    deadline = time.monotonic() + 300
    checkpoint = 0
    while time.monotonic() < deadline and proc.poll() is None:
        rows = d.query("data", "SELECT checkpoint_row FROM intake_importbatch")
        checkpoint = rows[0][0] if rows else 0
        if checkpoint > 0:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed: raise ROWS"
    time.sleep(0.3)  # into the next chunk
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    batch_id, state, created, checkpoint = d.query("data", "SELECT id, state, created, checkpoint_row FROM intake_importbatch")[0]
    assert state == "running" and 0 < checkpoint < ROWS + 1
    customers = d.one("data", "SELECT COUNT(*) FROM customers_customer")
    records = d.one("data", "SELECT COUNT(*) FROM intake_importedrecord")
    events = d.one("data", "SELECT COUNT(*) FROM audit_auditevent WHERE event_type = 'customer.created'")
    # Nothing half-written: every customer committed with its provenance row and its event, counted on the batch.
    assert customers == records == events == created == checkpoint - 1
    assert d.one("data", "SELECT MAX(row_number) FROM intake_importedrecord") == checkpoint

    resumed = d.run("-m", "clientvault", "import", "--resume", str(batch_id))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert d.query("data", "SELECT state, created, checkpoint_row, duplicates FROM intake_importbatch")[0] == ("done", ROWS, ROWS + 1, 0)
    assert d.one("data", "SELECT COUNT(*) FROM customers_customer") == ROWS
    assert d.one("data", "SELECT COUNT(DISTINCT row_number) FROM intake_importedrecord") == ROWS
    assert d.one("data", "SELECT COUNT(*) FROM audit_auditevent WHERE event_type = 'customer.created'") == ROWS
    # Every customer has its key; keys of the killed chunk's ids (if any) are orphans no row uses.
    keys = d.one("keys", "SELECT COUNT(*) FROM crypto_customerkey")
    assert keys >= ROWS
    assert not list((d.folder / "imports").glob("[0-9a-f]*")), "the stored file is deleted once the import is done"
