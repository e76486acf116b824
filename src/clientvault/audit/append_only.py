"""Database triggers that keep the audit tables append-only (issue #4; ARCHITECTURE.md rule 7).

UPDATE is refused on every audit table, always. DELETE (and TRUNCATE on PostgreSQL) is refused
unless the connection has entered a maintenance mode:

- ``archive`` — the retention archive removes *event rows* it has already written out with their
  inclusion proofs; leaves, checkpoints and archive records stay;
- ``flush`` — the development, test and demo ``flush`` command empties the database; the
  command refuses to run in production.

The mode is per connection: on PostgreSQL a session setting (``clientvault.audit_maintenance``),
on SQLite a function the application registers on its own connections — a ``sqlite3`` shell has
no such function, so its DELETE fails too. Triggers stop mistakes and the application's own code;
someone who can drop them can also rewrite rows, and that is what the Merkle tree, the signed
checkpoints and the external witness detect. On PostgreSQL the documented deployment also gives
the application role only INSERT and SELECT on these tables (README, "Audit trail").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

EVENT_TABLE = "audit_auditevent"
KEPT_TABLES = (
    "audit_auditleaf",
    "audit_checkpoint",
    "audit_auditarchive",
    "audit_archivedleaf",
    "audit_witnesspublication",
    "audit_auditnode",
)
TABLES = (EVENT_TABLE, *KEPT_TABLES)
# The tables migration 0003 guarded; each later audit table gets its triggers in its own migration.
TABLES_0003 = TABLES[:5]
MODES = ("archive", "flush")
_SQLITE_FUNCTION = "clientvault_audit_maintenance"
_PG_SETTING = "clientvault.audit_maintenance"


def _deletable_in(table: str) -> str:
    return "('archive', 'flush')" if table == EVENT_TABLE else "('flush')"


def sqlite_statements(tables: tuple[str, ...] = TABLES) -> list[str]:
    statements = []
    for table in tables:
        statements += [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: UPDATE refused'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN {_SQLITE_FUNCTION}() NOT IN {_deletable_in(table)} "
            f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: DELETE refused'); END",
        ]
    return statements


def sqlite_drop_statements(tables: tuple[str, ...] = TABLES) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {t}_{op}" for t in tables for op in ("no_update", "no_delete")]


def postgresql_statements(tables: tuple[str, ...] = TABLES) -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION clientvault_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mode text := coalesce(current_setting('{_PG_SETTING}', true), '');
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit rows are append-only: UPDATE refused on %', TG_TABLE_NAME;
    END IF;
    IF mode = 'flush' OR (mode = 'archive' AND TG_OP = 'DELETE' AND TG_TABLE_NAME = '{EVENT_TABLE}') THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only: % refused on %', TG_OP, TG_TABLE_NAME;
END
$$"""
    ]
    for table in tables:
        statements += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION clientvault_audit_guard()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION clientvault_audit_guard()",
        ]
    return statements


def postgresql_drop_statements(tables: tuple[str, ...] = TABLES, *, function: bool = True) -> list[str]:
    drops = [f"DROP TRIGGER IF EXISTS {t}_{name} ON {t}" for t in tables for name in ("append_only", "no_truncate")]
    return [*drops, "DROP FUNCTION IF EXISTS clientvault_audit_guard()"] if function else drops


def register_sqlite_function(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: the mode function the SQLite triggers call."""
    if connection.vendor != "sqlite":
        return
    wrapper = connection
    connection.connection.create_function(_SQLITE_FUNCTION, 0, lambda: getattr(wrapper, "audit_maintenance", ""))


@contextmanager
def maintenance(mode: str, using: str = "default") -> Iterator[None]:
    """Let this connection DELETE audit rows as ``mode`` allows, for the duration of the block."""
    if mode not in MODES:
        raise ValueError(f"unknown audit maintenance mode {mode!r}")
    connection = connections[using]
    connection.ensure_connection()
    previous = getattr(connection, "audit_maintenance", "")
    _set(connection, mode)
    try:
        yield
    finally:
        _set(connection, previous)


def _set(connection: BaseDatabaseWrapper, mode: str) -> None:
    connection.audit_maintenance = mode  # type: ignore[attr-defined]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [_PG_SETTING, mode])
