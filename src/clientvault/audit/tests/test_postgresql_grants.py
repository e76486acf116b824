"""The documented PostgreSQL grants (deploy/postgresql/audit-grants.sql) hold: the application role
records and seals events, and cannot change or remove them even where a trigger is missing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from clientvault.audit import append_only, sealing
from clientvault.audit.models import AuditEvent, AuditLeaf

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]
GRANTS = Path(__file__).resolve().parents[4] / "deploy" / "postgresql" / "audit-grants.sql"


def _statements(role: str) -> list[str]:
    text = "\n".join(line for line in GRANTS.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    return [s.strip().replace("clientvault_app", role) for s in text.split(";") if s.strip()]


def test_the_app_role_can_insert_and_seal_but_not_update_or_delete(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(2)
    role = f"cv_app_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # rolled back with the test
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        for statement in _statements(role):
            cursor.execute(statement)
        # The worst case: someone dropped the triggers; the grants alone still refuse.
        for statement in append_only.postgresql_drop_statements():
            cursor.execute(statement)
        cursor.execute(f"SET LOCAL ROLE {role}")
    make_events(1)  # INSERT works
    assert sealing.seal().sealed == 3  # sealing needs SELECT and INSERT only
    refused = (
        "UPDATE audit_auditevent SET role = 'x'",
        "DELETE FROM audit_auditleaf",
        "TRUNCATE audit_checkpoint",
        "DELETE FROM audit_auditnode",
    )
    for sql in refused:
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert AuditLeaf.objects.count() == 3
