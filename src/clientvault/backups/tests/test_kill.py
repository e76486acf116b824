"""A purge killed with SIGKILL between any two of its steps is finished by the next run (crash-safety, issue #15).

A small deployment of its own (its databases copied from the migrated test databases — SQLite files, or
PostgreSQL databases made from them as templates — a keys directory and a backup folder in a temporary
folder); the processes are real ``clientvault`` commands and helper processes (``procs.py``) that kill
themselves mid-purge. Each process start costs seconds: the helpers do several things per process.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from clientvault.backups import dumps
from clientvault.backups.tests.procs import KILL_POINTS

ROOT = Path(__file__).resolve().parents[4]


class Deployment:
    def __init__(self, folder: Path, data: dumps.Target, keys: dumps.Target) -> None:
        self.data = data
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_", "DJANGO_"))},
            "CLIENTVAULT_ENV": "test",
            "CLIENTVAULT_VAR_DIR": str(folder),
            "DATABASE_URL": data.url(),
            "CLIENTVAULT_KEYS_DATABASE_URL": keys.url(),
            "CLIENTVAULT_KEYS_DIR": str(folder / "keys"),
            "CLIENTVAULT_BACKUP_DIR": str(folder / "backups"),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", *args]
        return subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout


@pytest.fixture
def deployment(transactional_db: None, tmp_path: Path) -> Iterator[Deployment]:
    """Databases migrated like ``clientvault migrate`` leaves them, copied from the (committed, flushed) test
    databases instead of migrating again: SQLite through the online backup API, PostgreSQL as templates."""
    live, live_keys = dumps.live_target("default"), dumps.live_target("keys")
    made: list[dumps.Target] = []
    if live.vendor == dumps.SQLITE:
        data, keys = dumps.Target(dumps.SQLITE, str(tmp_path / "data.sqlite3")), dumps.Target(dumps.SQLITE, str(tmp_path / "keys.sqlite3"))
        for alias, target in (("default", data), ("keys", keys)):
            connections[alias].ensure_connection()
            copy = sqlite3.connect(target.name)
            try:
                connections[alias].connection.backup(copy)
            finally:
                copy.close()
    else:
        data = dumps.Target(dumps.POSTGRESQL, f"cv_backups_kill_{secrets.token_hex(4)}", live.host, live.port, live.user, live.password)
        keys = data.keys_companion()
        connections.close_all()  # a template must have no other session
        for target, template in ((data, live), (keys, live_keys)):
            dumps._psql(live, f'CREATE DATABASE "{target.name}" TEMPLATE "{template.name}"', database="postgres")
            made.append(target)
    yield Deployment(tmp_path, data, keys)
    for target in made:
        dumps._psql(target, f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)', database="postgres")


def test_a_purge_killed_at_every_step_ends_consistent(deployment: Deployment) -> None:
    made = json.loads(deployment.ok("clientvault.backups.tests.procs", "setup", str(len(KILL_POINTS) + 1)).splitlines()[-1])
    ids: list[str] = made["ids"]
    backup_id = made["backup_id"]
    states: list[dict[str, object]] = []
    for number, step in enumerate(KILL_POINTS, start=1):
        # From the second step on, the process first finishes the previous killed purge (the next run) and prints
        # the state it leaves, then shreds the next customer and kills itself mid-purge.
        previous = [backup_id] if number > 1 else []
        killed = deployment.run("clientvault.backups.tests.procs", "shred-then-die", ids[number - 1], step, *previous)
        assert killed.returncode == -9, (step, killed.stderr[-2000:])
        if previous:
            states.append(json.loads(killed.stdout.splitlines()[-1]))
    states.append(json.loads(deployment.ok("clientvault.backups.tests.procs", "purge-state", backup_id).splitlines()[-1]))
    for number, (step, state) in enumerate(zip(KILL_POINTS, states, strict=True), start=1):
        generation = number + 1
        assert state["generation"] == generation, (step, state)
        assert state["key_generations"] == [generation], (step, state)  # the old key is gone: old copies unreadable
        assert state["files"] == [f"keystore.g{generation}.enc"], (step, state)
        assert state["held"] == sorted(ids[number:]), (step, state)  # every shredded customer dropped, the rest kept
        assert state["verifies"], (step, state)
        assert state["purged_events"] == [f"{backup_id}/g{g}" for g in range(2, generation + 1)], (step, state)

    # The same deployment restores its old backup over itself (--force-live, confirmed by the database's name):
    # the customers deleted since stay unreadable, the one kept reads, and the restored trail verifies.
    refused = deployment.run("clientvault", "restore", backup_id, "--target", deployment.env["DATABASE_URL"], "--confirm", "x")
    assert refused.returncode != 0 and "force-live" in refused.stderr
    live_name = deployment.data.name  # the SQLite file's resolved path, or the PostgreSQL database's name
    deployment.ok("clientvault", "restore", backup_id, "--target", deployment.env["DATABASE_URL"], "--force-live", "--confirm", live_name)
    after = json.loads(deployment.ok("clientvault.backups.tests.procs", "read-verify", *ids).splitlines()[-1])
    seen = after["read"]
    assert seen == {**dict.fromkeys(ids[:-1], "KeyDestroyed"), ids[-1]: seen[ids[-1]]} and seen[ids[-1]].startswith("客户")
    assert "OK: tree size" in after["verify"]
