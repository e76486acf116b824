"""The audit benchmark still runs end to end (tiny size, SQLite): its JSON line has the ratios the issue asks for.

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


def test_audit_benchmark_runs_and_reports_its_ratios(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "BENCH_DATABASE_URL": "",
        "TMPDIR": str(tmp_path),
    }
    args = ["--size", "600", "--writers", "2", "--rounds", "1", "--insert-events", "60", "--lag-seconds", "1", "--proofs", "20"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.audit", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["benchmark"] == "audit" and result["database"] == "sqlite"
    assert result["verify_ok"] is True and result["seal_events"] == 600
    assert result["verify_events"] == 600 + result["lag_writer_events"]
    for key in (
        "ratio_insert_throughput",
        "ratio_insert_throughput_paired",
        "ratio_verify_vs_sha256",
        "ratio_verify_rate_vs_sha256",
        "proof_median_ms",
        "proof_p95_ms",
        "proof_rows_read_max",
    ):
        assert result[key] > 0, key
    assert result["proof_samples"] == 20 and result["verify_time_is"] == "wall"
