"""Reading a restored copy from a separate process whose settings name it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from clientvault.backups import dumps
from clientvault.backups.restore import deployment_env


def in_copy(target_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ARGS`` in a process whose settings name the restored copy at ``target_url``."""
    target = dumps.Target.parse(target_url)
    root = Path(__file__).resolve().parents[4]
    env = deployment_env(target, target.keys_companion())
    return subprocess.run([sys.executable, "-m", *args], env=env, cwd=root, capture_output=True, text=True, timeout=600, check=False)


def read_in_copy(target_url: str, *customer_ids: Any) -> dict[str, str]:
    done = in_copy(target_url, "clientvault.backups.tests.procs", "read", *(str(c) for c in customer_ids))
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def read_and_verify_in_copy(target_url: str, *customer_ids: Any) -> tuple[dict[str, str], str]:
    """``read_in_copy`` and ``clientvault audit verify --witness ""`` in one process (its output; it raises on failure)."""
    done = in_copy(target_url, "clientvault.backups.tests.procs", "read-verify", *(str(c) for c in customer_ids))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return dict(result["read"]), str(result["verify"])
