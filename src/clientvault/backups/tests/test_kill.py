"""A purge killed with SIGKILL between any two of its steps is finished by the next run (crash-safety, issue #15).

A small deployment of its own (SQLite files, a keys directory and a backup folder in a temporary folder); the
processes are real ``clientvault`` commands and helper processes (``procs.py``) that kill themselves mid-purge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clientvault.backups.tests.procs import KILL_POINTS

ROOT = Path(__file__).resolve().parents[4]


class Deployment:
    def __init__(self, folder: Path) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_", "DJANGO_"))},
            "CLIENTVAULT_ENV": "test",
            "CLIENTVAULT_VAR_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'data.sqlite3'}",
            "CLIENTVAULT_KEYS_DATABASE_URL": f"sqlite:///{folder / 'keys.sqlite3'}",
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


def test_a_purge_killed_at_every_step_ends_consistent(tmp_path: Path) -> None:
    deployment = Deployment(tmp_path)
    deployment.ok("clientvault", "migrate")
    ids: list[str] = json.loads(deployment.ok("clientvault.backups.tests.procs", "seed", str(len(KILL_POINTS) + 1)).splitlines()[-1])
    out = deployment.ok("clientvault", "backup")
    backup_id = out.split()[1]
    for number, step in enumerate(KILL_POINTS, start=1):
        killed = deployment.run("clientvault.backups.tests.procs", "shred-then-die", ids[number - 1], step)
        assert killed.returncode == -9, (step, killed.stderr[-2000:])
        state = json.loads(deployment.ok("clientvault.backups.tests.procs", "purge-state", backup_id).splitlines()[-1])
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
    live_name = str((tmp_path / "data.sqlite3").resolve())
    deployment.ok("clientvault", "restore", backup_id, "--target", deployment.env["DATABASE_URL"], "--force-live", "--confirm", live_name)
    seen = json.loads(deployment.ok("clientvault.backups.tests.procs", "read", *ids).splitlines()[-1])
    assert seen == {**dict.fromkeys(ids[:-1], "KeyDestroyed"), ids[-1]: seen[ids[-1]]} and seen[ids[-1]].startswith("客户")
    assert "OK: tree size" in deployment.ok("clientvault", "audit", "verify", "--witness", "")
