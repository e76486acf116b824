"""The import pipeline end to end on a real CSV: stage → guess mapping → run in chunks → provenance and events."""

from __future__ import annotations

import pytest

from clientvault.customers.models import Customer
from clientvault.intake.models import ImportedRecord, State
from clientvault.intake.tests.helpers import HEADER, cli, csv_bytes, rows, run, stage_csv


@pytest.mark.django_db(databases=["default", "keys"])
def test_a_csv_imports_with_provenance_and_events(org, audit_events, settings):
    settings.CLIENTVAULT_IMPORT_CHUNK = 2
    batch = stage_csv(cli(), csv_bytes(HEADER, rows(5)), org["rep_bj1"].pk)
    assert batch.state == State.STAGED and batch.format == "csv" and batch.encoding == "utf-8"
    assert batch.mapping == {"姓名": "name", "身份证号": "id_number", "手机号": "mobile", "邮箱": "email", "标签": "tags"}
    assert batch.rows_total == 5 and len(batch.sha256) == 64
    done = run(cli(), batch)
    assert done.state == State.DONE and done.created == 5 and done.checkpoint_row == 6
    records = ImportedRecord.objects.filter(batch=done).order_by("row_number")
    assert [r.row_number for r in records] == [2, 3, 4, 5, 6]
    created = audit_events("customer.created")
    assert len(created) == 5 and all(e.detail == {"import_batch": str(batch.pk)} for e in created)
    assert [e.event_type for e in audit_events() if e.event_type.startswith("import.")] == [
        "import.staged",
        "import.started",
        "import.finished",
    ]
    assert Customer.objects.unrestricted(reason="test").filter(pk__in=[r.customer_id for r in records]).count() == 5
