"""The dedupe benchmark still runs end to end at a tiny size and reports its keys (no figure is checked:
quality and speed are measured by ``make bench``, never by a test)."""

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


def test_dedupe_benchmark_runs_and_reports_f1_against_splink_default(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))}, "CLIENTVAULT_ENV": "test"}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dedupe", "--size", "400"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("f1", "precision", "recall", "splink_f1", "ratio_f1_vs_splink_default", "seconds", "peak_rss_mb"):
        assert key in result, key
    assert 0 <= result["f1"] <= 1 and result["size"] >= 400
