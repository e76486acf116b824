"""The scoring and credit-model benchmarks (issue #16) still run end to end at a tiny size and report their
figures. No figure is checked for speed: speed is measured by ``make bench``, never by a timed test. They
need the optional ``risk`` extra: skipped without it, but required under ``CI=true``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The benchmark runs in a subprocess on its own SQLite file: the PostgreSQL pass would repeat it unchanged.
pytestmark = pytest.mark.db_independent


@pytest.fixture
def risk_extra() -> None:
    missing = [m for m in ("optbinning", "sklearn", "lightgbm", "pandas") if importlib.util.find_spec(m) is None]
    if missing:
        message = f"the optional 'risk' extra is not installed (missing {', '.join(missing)})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": required under CI=true", pytrace=False)
        pytest.skip(message)


def _run(tmp_path: Path, *args: str) -> dict[str, Any]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_"))},
        "CLIENTVAULT_ENV": "test",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.usefixtures("risk_extra")
def test_scoring_benchmark_reports_equal_points(tmp_path: Path) -> None:
    result = _run(tmp_path, "benchmarks.scoring", "--size", "300", "--train", "800", "--repeat", "1", "--single", "5")
    assert result["points_equal"] is True and result["points_max_abs_diff"] <= 1e-6
    assert result["us_per_customer_spec"] > 0 and result["us_per_customer_trainer"] > 0 and result["ratio_spec_vs_trainer"] > 0


@pytest.mark.usefixtures("risk_extra")
def test_credit_model_benchmark_reports_each_model(tmp_path: Path) -> None:
    result = _run(tmp_path, "benchmarks.credit_model", "--size", "800", "--cv", "2")
    for model in ("champion", "challenger", "baseline"):
        assert {"auc_mean", "gini_mean", "ks_mean"} <= set(result[model])
    assert result["reason_codes_reproduce_points"] is True and result["ratio_champion_vs_lr_auc"] > 0
    assert result["ratio_champion_vs_lightgbm_auc"] > 0 and result["public_credit_dataset"] is None
