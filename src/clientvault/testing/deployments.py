"""A throwaway deployment for tests that run clientvault in real processes (crash and multi-process tests): the
environment of one on SQLite files in ``folder``, with its own keys, inheriting nothing of the test run's databases."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def sqlite_env(folder: Path) -> dict[str, str]:
    """The environment of a deployment whose data, key store and keys live in ``folder``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLIENTVAULT_", "DJANGO_"))},
        "CLIENTVAULT_ENV": "test",
        "CLIENTVAULT_VAR_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'data.sqlite3'}",
        "CLIENTVAULT_KEYS_DATABASE_URL": f"sqlite:///{folder / 'keys.sqlite3'}",
        "CLIENTVAULT_KEYS_DIR": str(folder / "keys"),
        "PYTHONPATH": str(ROOT / "src"),
    }
