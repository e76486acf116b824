"""Native dumps of the data database, streamed through the backup's streaming AEAD, and their restore.

SQLite: the online backup API (a consistent copy while the database is in use), serialised in memory —
the plaintext copy never touches the disk. PostgreSQL: ``pg_dump -Fc`` piped straight into the encrypting
stream, and ``pg_restore`` fed from the decrypting stream into an empty database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import dj_database_url
from django.db import connection

CHUNK = 1 << 20
SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class DumpFailed(Exception):
    """The native dump or restore tool failed (its message carries no personal data: tool stderr only)."""


@dataclass(frozen=True)
class Target:
    """A database given by URL (``--target``)."""

    vendor: str
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def parse(cls, url: str) -> Target:
        return cls.from_settings(dict(dj_database_url.parse(url)))

    @classmethod
    def from_settings(cls, cfg: dict[str, Any]) -> Target:
        engine = str(cfg.get("ENGINE", ""))
        if engine.endswith("sqlite3"):
            return cls(vendor=SQLITE, name=str(Path(str(cfg["NAME"])).resolve()) if cfg["NAME"] not in ("", ":memory:") else ":memory:")
        if "postgresql" in engine:
            return cls(
                vendor=POSTGRESQL,
                name=str(cfg["NAME"]),
                host=str(cfg.get("HOST") or ""),
                port=str(cfg.get("PORT") or ""),
                user=str(cfg.get("USER") or ""),
                password=str(cfg.get("PASSWORD") or ""),
            )
        raise DumpFailed(f"unsupported database engine {engine}")

    def same_database(self, other: Target) -> bool:
        return (self.vendor, self.name, self.host or "localhost", self.port or "5432") == (
            other.vendor,
            other.name,
            other.host or "localhost",
            other.port or "5432",
        )

    def keys_companion(self) -> Target:
        """Where this target's key store goes unless named: ``<name>_keys`` (as settings derive it for
        PostgreSQL) or ``<stem>-keys.sqlite3`` beside an SQLite file."""
        if self.vendor == POSTGRESQL:
            return Target(POSTGRESQL, f"{self.name}_keys", self.host, self.port, self.user, self.password)
        path = Path(self.name)
        return Target(SQLITE, str(path.with_name(f"{path.stem}-keys{path.suffix or '.sqlite3'}")))

    def url(self) -> str:
        if self.vendor == SQLITE:
            return f"sqlite:///{self.name}"
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgres://{auth}{'@' if auth else ''}{self.host or '127.0.0.1'}{':' + self.port if self.port else ''}/{self.name}"

    def pg_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update({"PGHOST": self.host or "127.0.0.1", "PGDATABASE": self.name})
        if self.port:
            env["PGPORT"] = self.port
        if self.user:
            env["PGUSER"] = self.user
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def live_target(alias: str = "default") -> Target:
    from django.db import connections

    return Target.from_settings(dict(connections[alias].settings_dict))


# --- Dump ---------------------------------------------------------------------------------------


def dump(out: BinaryIO) -> str:
    """Write a native dump of the live data database to ``out`` (an encrypting stream); returns the vendor."""
    live = live_target()
    if live.vendor == SQLITE:
        connection.ensure_connection()
        source = connection.connection
        copy = sqlite3.connect(":memory:")
        try:
            source.backup(copy)
            out.write(copy.serialize())
        finally:
            copy.close()
        return SQLITE
    _pg_dump(live, out)
    return POSTGRESQL


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DumpFailed(f"{name} is not installed")
    return path


def _pg_dump(live: Target, out: BinaryIO) -> None:
    proc = subprocess.Popen(
        [_tool("pg_dump"), "--format=custom", "--no-password"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=live.pg_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    while chunk := proc.stdout.read(CHUNK):
        out.write(chunk)
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise DumpFailed(f"pg_dump failed: {err.strip()[-500:]}")


def server_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


# --- Restore ------------------------------------------------------------------------------------


def is_empty(target: Target) -> bool:
    """No tables at all (an SQLite file that does not exist or is empty; a PostgreSQL database missing or bare)."""
    if target.vendor == SQLITE:
        path = Path(target.name)
        if not path.exists() or path.stat().st_size == 0:
            return True
        with _sqlite(path) as conn:
            return int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]) == 0
    if not _pg_exists(target):
        return True
    rows = _psql(target, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    return rows.strip() == "0"


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def _psql(target: Target, sql: str, *, database: str | None = None) -> str:
    env = target.pg_env()
    if database is not None:
        env["PGDATABASE"] = database
    done = subprocess.run(
        [_tool("psql"), "--no-password", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise DumpFailed(f"psql failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _pg_exists(target: Target) -> bool:
    quoted = target.name.replace("'", "''")
    return _psql(target, f"SELECT 1 FROM pg_database WHERE datname = '{quoted}'", database="postgres").strip() == "1"  # noqa: S608


def _pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def prepare(target: Target, *, wipe: bool = False) -> None:
    """Make an empty target: create a missing PostgreSQL database; with ``wipe`` (only ever the live
    database under ``--force-live``), drop what is there first."""
    if target.vendor == SQLITE:
        path = Path(target.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if wipe:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if wipe and _pg_exists(target):
        _psql(target, f"DROP DATABASE {_pg_ident(target.name)} WITH (FORCE)", database="postgres")
    if not _pg_exists(target):
        _psql(target, f"CREATE DATABASE {_pg_ident(target.name)}", database="postgres")


def restore(target: Target, source: BinaryIO, vendor: str) -> None:
    """Restore a native dump read from ``source`` (a decrypting stream) into the empty ``target``."""
    if vendor != target.vendor:
        raise DumpFailed(f"a {vendor} backup cannot be restored into a {target.vendor} database")
    if vendor == SQLITE:
        _restore_sqlite(Path(target.name), source)
    else:
        _restore_pg(target, source)


def _restore_sqlite(path: Path, source: BinaryIO) -> None:
    tmp = path.with_name(f".{path.name}.restoring")
    with open(tmp, "wb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    with _sqlite(tmp) as conn:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        tmp.unlink(missing_ok=True)
        raise DumpFailed(f"the restored SQLite database fails its integrity check: {verdict}")
    os.replace(tmp, path)


def _restore_pg(target: Target, source: BinaryIO) -> None:
    proc = subprocess.Popen(
        [_tool("pg_restore"), "--no-password", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={target.name}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=target.pg_env(),
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        while chunk := source.read(CHUNK):
            proc.stdin.write(chunk)
    except BrokenPipeError:
        pass  # pg_restore stopped early: its exit status and message say why
    finally:
        proc.stdin.close()
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise DumpFailed(f"pg_restore failed: {err.strip()[-500:]}")
