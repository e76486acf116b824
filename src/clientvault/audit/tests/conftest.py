from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from clientvault.audit import append_only, recording
from clientvault.audit.models import AuditEvent
from clientvault.core.context import system_context


@pytest.fixture
def make_events() -> Callable[..., list[AuditEvent]]:
    """Record ``n`` real events the way services do (one transaction each)."""

    def make(n: int, event_type: str = "customer.viewed") -> list[AuditEvent]:
        events = []
        ctx = system_context(channel="cli")
        for i in range(n):
            with transaction.atomic():
                events.append(
                    recording.record(ctx, event_type, object_type="test.object", object_id=str(i), fields=["name"], detail={"n": i})
                )
        return events

    return make


@pytest.fixture
def as_dba() -> Callable[[str, list[Any] | None], None]:
    """Run raw SQL the way someone with database rights would: first drop the append-only triggers.

    The drop happens inside the test's transaction and is rolled back with it.
    """

    def run(sql: str, params: list[Any] | None = None) -> None:
        drops = append_only.sqlite_drop_statements() if connection.vendor == "sqlite" else append_only.postgresql_drop_statements()
        with connection.cursor() as cursor:
            for statement in drops:
                cursor.execute(statement)
            cursor.execute(sql, params or [])

    return run


@pytest.fixture
def witness_file(tmp_path: Path, settings: pytest.FixtureRequest) -> Path:
    path = tmp_path / "witness.jsonl"
    settings.CLIENTVAULT_AUDIT_WITNESS = str(path)  # type: ignore[attr-defined]
    return path


def days_ago(days: int) -> dt.datetime:
    from clientvault.core import clock

    return clock.now() - dt.timedelta(days=days)
