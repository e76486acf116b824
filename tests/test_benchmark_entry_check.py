"""The entry-check benchmark still runs end to end (tiny size, SQLite) and reports its figures. No figure is
checked: speed is measured by ``make bench``, never by a timed test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The benchmark runs in a subprocess on its own SQLite file: the PostgreSQL pass would repeat it unchanged.
pytestmark = pytest.mark.db_independent


def test_entry_check_benchmark_runs_and_finds_its_seeded_duplicates(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "BENCH_DATABASE_URL": "",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.entry_check", "--size", "60", "--probes", "30", "--chunk", "25"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ratio_check_vs_pk_fetch"] > 0 and result["check_p95_ms"] > 0
    assert result["found_hit_share"] == 1.0 and result["found_near_share"] == 1.0  # a stored ID number, a stored name + birth date
    assert result["match_keys"] >= 60 * 8
