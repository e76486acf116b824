"""The sweep benchmark still runs end to end (tiny size, SQLite) and reports its figures (issue #15).

No figure is checked here — speed is measured by ``make bench``, never by a timed test.
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


def test_sweep_benchmark_runs_and_reports_its_figures(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "BENCH_DATABASE_URL": "",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.sweep", "--size", "12"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["benchmark"] == "sweep" and result["database"] == "sqlite" and result["erased"] == 12
    for key in ("erased_per_s", "plain_deleted_per_s", "ratio_sweep"):
        assert result[key] > 0
