"""Database helpers for cross-app tests: a world built once and shared by many cases, and a fingerprint of
the tables that proves a refused request changed nothing (issue #12).

``shared_atomic`` opens one transaction on every test database and rolls it back at the end: what is built
inside lives as long as the block. Each test then runs in pytest-django's usual per-test transaction, which
nests as a savepoint inside it and is rolled back after the test, so every case starts from the same world
without rebuilding it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction

DATABASES = ("default", "keys")

# Tables a refused request may legitimately write: the audit trail (``access.denied`` and its per-minute
# counter are asserted separately), sessions and the sign-in throttle's own bookkeeping.
UNFINGERPRINTED = ("audit_auditevent", "audit_deniedaccesswindow", "django_session")
UNFINGERPRINTED_PREFIXES = ("axes_",)


@contextmanager
def shared_atomic(blocker: Any, databases: Iterable[str] = DATABASES) -> Iterator[None]:
    """One transaction per database around the block, always rolled back; ``blocker`` is pytest-django's
    ``django_db_blocker`` (database access is allowed only while the world is built and torn down)."""
    aliases = list(databases)
    atomics = [transaction.atomic(using=alias) for alias in aliases]
    with blocker.unblock():
        for atomic in atomics:
            atomic.__enter__()
    try:
        yield
    finally:
        with blocker.unblock():
            for alias, atomic in reversed(list(zip(aliases, atomics, strict=True))):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


@functools.cache
def _tables(alias: str) -> list[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor, include_views=False)
    return sorted(
        n for n in names if n not in UNFINGERPRINTED and not n.startswith(UNFINGERPRINTED_PREFIXES) and not n.startswith("sqlite_")
    )


def _value(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def fingerprint(databases: Iterable[str] = DATABASES) -> dict[str, str]:
    """A digest of every row of every table (but the audit trail, sessions and throttle), per table."""
    digests: dict[str, str] = {}
    for alias in databases:
        connection = connections[alias]
        tables = _tables(alias)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One round trip: each table's rows as text, sorted and hashed by the server.
                quoted = [connection.ops.quote_name(t) for t in tables]
                parts = [f"(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM {q} r)" for q in quoted]
                cursor.execute("SELECT " + ", ".join(parts))
                row = cursor.fetchone()
                digests.update({f"{alias}.{t}": d for t, d in zip(tables, row, strict=True)})
                continue
            for table in tables:
                # Table names come from the database's own catalogue, quoted by the backend: no user input.
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
                rows = sorted(repr(tuple(_value(v) for v in row)) for row in cursor.fetchall())
                digests[f"{alias}.{table}"] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
