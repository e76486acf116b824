"""The web tier and the worker score with the spec only: no module but the trainer and the ``risk`` command
imports the numeric stack (ARCHITECTURE.md: optbinning pulls ortools, ~300 MB). Checked by AST over every
source file of the package, tests excluded."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
HEAVY = {"optbinning", "ortools", "sklearn", "lightgbm", "pandas", "numpy"}
ALLOWED = {"risk/scorecard/training.py", "risk/management/commands/risk.py"}


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value.split(".")[0])
    return found


def test_only_the_trainer_and_its_command_import_the_numeric_stack() -> None:
    offenders = {}
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative or relative in ALLOWED:
            continue
        heavy = _imports(ast.parse(path.read_text(encoding="utf-8"))) & HEAVY
        if heavy:
            offenders[relative] = sorted(heavy)
    assert offenders == {}


def test_the_check_sees_imports_inside_functions() -> None:
    tree = ast.parse(
        "def f():\n    import pandas as pd\n    from sklearn.metrics import roc_auc_score\n    importlib.import_module('numpy')\n"
    )
    assert _imports(tree) == {"pandas", "sklearn", "numpy"}


def test_the_scoring_path_is_standard_library_only() -> None:
    import sys

    for name in ("spec", "scoring", "fairness"):
        tree = ast.parse((SRC / "risk" / "scorecard" / f"{name}.py").read_text(encoding="utf-8"))
        outside = {m for m in _imports(tree) if m not in sys.stdlib_module_names and m != "clientvault"}
        assert outside == set(), name
