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


@pytest.mark.django_db(databases=["default", "keys"])
def test_start_enqueues_the_resumable_task_with_the_batch_id_only(org, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from clientvault.core.tasks import RESUMABLE_TASKS
    from clientvault.intake import services

    assert "clientvault.intake.tasks.run_import" in RESUMABLE_TASKS
    batch = stage_csv(cli(), csv_bytes(HEADER, rows(2)), org["rep_bj1"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.start(cli(), batch)
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "clientvault.intake.tasks.run_import"
    assert task.args_kwargs == {"args": [str(batch.pk)], "kwargs": {}}


@pytest.mark.django_db(databases=["default", "keys"])
def test_an_xlsx_sheet_and_a_gb18030_csv_import(org):
    import io

    from clientvault.intake.models import ImportBatch
    from clientvault.testing import xlsx

    buf = io.BytesIO()
    xlsx.write(buf, [("封面", [["客户名单"]]), ("客户", [["客户名单 2026"], HEADER, *rows(3, start=500)])])
    batch = stage_csv(cli(), buf.getvalue(), org["rep_bj1"].pk, filename="客户.xlsx", sheet="客户")
    assert (batch.format, batch.sheet, batch.sheets, batch.header_row, batch.rows_total) == ("xlsx", "客户", ["封面", "客户"], 2, 3)
    assert run(cli(), batch).created == 3
    assert sorted(ImportedRecord.objects.filter(batch=batch).values_list("sheet", "row_number")) == [("客户", 3), ("客户", 4), ("客户", 5)]
    gb = stage_csv(cli(), csv_bytes(HEADER, rows(2, start=600), encoding="gb18030"), org["rep_bj1"].pk)
    assert gb.encoding == "gb18030" and run(cli(), gb).created == 2
    assert ImportBatch.objects.get(pk=gb.pk).state == State.DONE


@pytest.mark.django_db(databases=["default", "keys"])
def test_a_second_runner_never_writes_a_chunk_twice(org, settings):
    from clientvault.intake import engine, services

    settings.CLIENTVAULT_IMPORT_CHUNK = 2
    batch = stage_csv(cli(), csv_bytes(HEADER, rows(4, start=700)), org["rep_bj1"].pk)
    services.start(cli(), batch, enqueue=False)
    plan = engine.Plan(batch)
    chunk = list(engine.data_rows(batch))[:2]
    assert engine.write_chunk(cli(), plan, engine.evaluate(plan, chunk, set()), start_after=0, last=3)
    # A runner that read the checkpoint before that commit tries the same chunk: nothing is written.
    assert not engine.write_chunk(cli(), plan, engine.evaluate(plan, chunk, set()), start_after=0, last=3)
    done = services.run_chunks(batch.pk)
    assert (done.created, done.duplicates, done.checkpoint_row) == (4, 0, 5)


@pytest.mark.django_db(databases=["default", "keys"])
def test_a_person_s_import_opens_entry_reviews_like_the_form(org, settings):
    import io

    from clientvault.approvals.models import ChangeRequest
    from clientvault.intake import services
    from clientvault.testing.actors import ctx

    settings.CLIENTVAULT_ENTRY_REVIEW = "all"
    manager = ctx(org["manager_bj"])
    batch = services.stage(
        manager,
        file=io.BytesIO(csv_bytes(HEADER, rows(2, start=800))),
        filename="c.csv",
        provenance=services.Provenance(source_system="旧CRM", lawful_basis="contract", owner_id=org["rep_bj1"].pk),
    )
    done = run(manager, batch)
    ids = set(done.records.values_list("customer_id", flat=True))
    held = Customer.objects.unrestricted(reason="test").filter(pk__in=ids)
    assert set(held.values_list("review_status", flat=True)) == {"pending"}
    assert set(held.values_list("created_by", flat=True)) == {org["manager_bj"].pk}
    requests = ChangeRequest.objects.unrestricted(reason="test").filter(change_type="customers.entry_review", subject_id__in=ids)
    assert requests.count() == 2


@pytest.mark.django_db(databases=["default", "keys"])
def test_imported_rows_are_stored_as_the_ui_stores_them(org, audit_events, settings):
    """The bulk write path (COPY on PostgreSQL, bulk_create elsewhere) leaves what a UI-created customer has:
    values sealed under the customer's own key, blind indexes, every match key, one event naming its fields."""
    from clientvault.customers import matching, vault
    from clientvault.customers.models import MatchKey

    settings.CLIENTVAULT_IMPORT_CHUNK = 3
    batch = stage_csv(cli(), csv_bytes(HEADER, rows(4)), org["rep_bj1"].pk)
    done = run(cli(), batch)
    assert done.created == 4
    ids = list(ImportedRecord.objects.filter(batch=done).values_list("customer_id", flat=True))
    events = {e.customer_id: e for e in audit_events("customer.created")}
    assert set(events) == set(ids)
    for customer in Customer.objects.unrestricted(reason="test").filter(pk__in=ids):
        plain = {**vault.unseal(customer, ["name", "id_number", "mobile", "email", "birth_date"]), "id_type": customer.id_type}
        assert customer.id_number_bidx == vault.index("id_number", plain["id_number"])
        assert customer.mobile_bidx == vault.index("mobile", plain["mobile"])
        stored = set(
            MatchKey.objects.unrestricted(reason="test").filter(customer=customer).values_list("legal_entity_id", "kind", "digest_bidx")
        )
        expected = {(customer.legal_entity_id, k, d) for k, d in matching.keys_for(plain, customer.kind)}
        assert {(e, k, bytes(d)) for e, k, d in stored} == expected and expected
        assert {"name", "id_number", "mobile"} <= set(events[customer.pk].fields)
        assert events[customer.pk].occurred_at is not None and events[customer.pk].channel == "cli"
