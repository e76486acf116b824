"""A private key directory and backup folder per test, and empty restore targets on the test's own vendor."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clientvault.backups import dumps


@pytest.fixture
def backup_dirs(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Per-test keys directory (fresh keysets: the purge looks at every backup whose keys it holds) and backup dir."""
    from clientvault.crypto import keyring, keystore

    settings.CLIENTVAULT_KEYS_DIR = str(tmp_path / "keys")
    settings.CLIENTVAULT_BACKUP_DIR = str(tmp_path / "backups")
    keyring.reset_cache()
    keystore.cache.clear()
    yield tmp_path
    keyring.reset_cache()
    keystore.cache.clear()


class Targets:
    """Fresh restore targets: SQLite files under tmp_path, or PostgreSQL databases dropped afterwards."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.created: list[dumps.Target] = []

    def new(self) -> str:
        live = dumps.live_target()
        if live.vendor == dumps.SQLITE:
            return f"sqlite:///{self.tmp_path / 'restored' / secrets.token_hex(4) / 'data.sqlite3'}"
        name = f"cv_backups_restored_{secrets.token_hex(4)}"
        target = dumps.Target(dumps.POSTGRESQL, name, live.host, live.port, live.user, live.password)
        self.created += [target, target.keys_companion()]
        return target.url()

    def cleanup(self) -> None:
        for target in self.created:
            dumps._psql(target, f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)', database="postgres")


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[Targets]:
    made = Targets(tmp_path)
    yield made
    made.cleanup()
