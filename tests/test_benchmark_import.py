"""The import benchmark still runs end to end (tiny size, SQLite) and reports the figures issue #14 asks for.

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


def test_import_benchmark_runs_and_reports_its_figures(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "BENCH_DATABASE_URL": "",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.import", "--size", "60", "--chunk", "25"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["benchmark"] == "import" and result["database"] == "sqlite"
    assert (result["state"], result["created"], result["rejected"]) == ("done", 60, 0)
    for key in ("rows_per_s", "parse_rows_per_s_csv", "parse_rows_per_s_xlsx", "peak_rss_mb", "ratio_import_vs_bulk_insert"):
        assert result[key] > 0
