"""The read-path benchmark still runs end to end (tiny size, SQLite) and its baseline serves the same shape.

No figure is checked here — speed is measured by ``make bench``, never by a timed test. This test exists
because a field added to the detail response (the tags, issue #11) once broke the benchmark's shape check
unnoticed.
"""

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


def test_read_path_benchmark_runs_and_reports_its_ratios(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "BENCH_DATABASE_URL": "",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.read_path", "--size", "3", "--repeat", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("ratio_detail_median", "ratio_detail_manager_median", "ratio_detail_warm_key_median"):
        assert result[key] > 0, key
    assert result["list_queries_constant"] is True
    assert result["detail_baseline_key_store_queries"] == 0 and result["detail_key_store_queries"] >= 1
