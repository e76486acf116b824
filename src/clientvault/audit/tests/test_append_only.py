"""The audit tables refuse UPDATE and DELETE at the database (issue #4 hardening; rule 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from clientvault.audit import append_only, interior, sealing
from clientvault.audit.models import ArchivedLeaf, AuditArchive, AuditEvent, AuditLeaf, AuditNode, Checkpoint, WitnessPublication
from clientvault.core import clock

pytestmark = pytest.mark.django_db


def _refused(sql: str, params: list[Any] | None = None) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def sealed(make_events: Callable[..., list[AuditEvent]]) -> list[AuditEvent]:
    events = make_events(3)
    sealing.seal()
    return events


@pytest.mark.parametrize("table", append_only.TABLES)
def test_update_is_refused_on_every_audit_table(sealed: list[AuditEvent], table: str) -> None:
    column = {
        "audit_auditevent": "role",
        "audit_checkpoint": "origin",
        "audit_auditarchive": "file_name",
        "audit_witnesspublication": "tree_size",
    }.get(table, '"index"')
    WitnessPublication.objects.create(tree_size=3, published_at=clock.now())
    archive = AuditArchive.objects.create(
        created_at=clock.now(), file_name="a.jsonl", file_sha256="0" * 64, checkpoint_size=3, event_count=1
    )
    ArchivedLeaf.objects.create(index=0, archive=archive)
    AuditNode.objects.create(key=interior.key(4, 0), level=4, index=0, node_hash=bytes(32))  # 3 events complete none
    _refused(f"UPDATE {table} SET {column} = {column}")


@pytest.mark.parametrize(
    "table", ["audit_auditevent", "audit_auditleaf", "audit_checkpoint", "audit_witnesspublication", "audit_auditnode"]
)
def test_delete_is_refused(sealed: list[AuditEvent], table: str) -> None:
    WitnessPublication.objects.create(tree_size=3, published_at=clock.now())
    AuditNode.objects.create(key=interior.key(4, 0), level=4, index=0, node_hash=bytes(32))
    _refused(f"DELETE FROM {table}")


def test_the_orm_cannot_update_or_delete_either(sealed: list[AuditEvent]) -> None:
    event = sealed[0]
    event.role = "administrator"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Checkpoint.objects.update(origin="elsewhere")
    assert AuditEvent.objects.get(pk=event.pk).role != "administrator"


def test_archive_mode_lets_event_rows_go_but_never_leaves_or_checkpoints(sealed: list[AuditEvent]) -> None:
    with transaction.atomic(), append_only.maintenance("archive"):
        AuditEvent.objects.filter(pk=sealed[0].pk).delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditLeaf.objects.all().delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            Checkpoint.objects.all().delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.update(role="x")  # UPDATE stays refused in every mode
    assert not AuditEvent.objects.filter(pk=sealed[0].pk).exists()
    # The mode ends with the block.
    _refused("DELETE FROM audit_auditevent")


def test_unknown_modes_are_refused() -> None:
    with pytest.raises(ValueError), append_only.maintenance("everything"):
        pass


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_is_refused_on_postgresql(sealed: list[AuditEvent]) -> None:
    _refused("TRUNCATE audit_auditevent")


def test_flush_is_refused_in_production(settings: Any) -> None:
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refused in production"):
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_tables_outside_production(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(2)
    sealing.seal()
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not AuditLeaf.objects.exists() and not Checkpoint.objects.exists()
    make_events(1)
    _refused("DELETE FROM audit_auditevent")  # and the protection is back afterwards
