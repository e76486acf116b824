"""The access-package benchmark still runs end to end (tiny size, SQLite): its JSON line has the ratio the issue asks for.

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


def test_rights_benchmark_runs_and_reports_its_ratio(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "BENCH_DATABASE_URL": "",
        "TMPDIR": str(tmp_path),
    }
    args = ["--size", "200", "--events-per-customer", "3", "--repeat", "2", "--pdf-repeat", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.rights", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["benchmark"] == "rights" and result["database"] == "sqlite" and result["customers"] == 200
    assert result["audit_events"] == 600 and result["package_sections"] >= 12
    for key in ("ratio_access_package", "gather_median_ms", "json_median_ms", "csv_zip_median_ms", "pdf_median_ms", "gather_queries"):
        assert result[key] > 0, key
