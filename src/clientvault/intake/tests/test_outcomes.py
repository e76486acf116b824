"""Dry run and import outcomes (issue #14): create / update / duplicate / reject with reason codes, never values;
the rejected-rows report; updates through the customers' update service; provenance; permissions."""

from __future__ import annotations

import csv
import io

import pytest

from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import profiles
from clientvault.customers.models import Customer
from clientvault.intake import selectors, services
from clientvault.intake.models import ImportBatch, MappingTemplate, RowIssue, State
from clientvault.intake.tests.helpers import HEADER, cli, csv_bytes, rows, run, stage_csv
from clientvault.testing.actors import ctx
from clientvault.testing.identifiers import resident_id

pytestmark = pytest.mark.django_db(databases=["default", "keys"])
BAD_ID = "110105199001011230"  # wrong check digit


def _mixed(org) -> bytes:
    existing_id = resident_id(91_000)
    profiles.create_customer(
        ctx=ctx(org["rep_bj1"]), kind="individual", data={"name": "已有客户", "id_type": "resident_id", "id_number": existing_id}
    )
    body = [
        *rows(2),
        ["坏号码客户", BAD_ID, "13900009999", "", ""],
        ["", resident_id(91_001), "", "", ""],  # no name
        ["重复已有", existing_id, "", "", ""],
        ["文件内重复", rows(1)[0][1], "", "", ""],
    ]
    return csv_bytes(HEADER, body)


def test_the_dry_run_says_what_each_row_would_do_and_writes_no_customer(org, audit_events):
    data = _mixed(org)
    before = Customer.objects.unrestricted(reason="test").count()
    batch = stage_csv(cli(), data, org["rep_bj1"].pk)
    report = services.dry_run(cli(), batch)
    outcomes = {r.row_number: (r.outcome, r.reasons) for r in report.rows}
    assert outcomes[2][0] == outcomes[3][0] == "create"
    assert outcomes[4] == ("reject", [("身份证号", "invalid")])
    assert outcomes[5] == ("reject", [("姓名", "required")])
    assert outcomes[6] == ("duplicate", [("身份证号", "duplicate_existing")])
    assert outcomes[7] == ("duplicate", [("身份证号", "duplicate_in_file")])
    assert report.counts == {"create": 2, "update": 0, "duplicate": 2, "reject": 2}
    assert Customer.objects.unrestricted(reason="test").count() == before
    assert [e.event_type for e in audit_events() if e.event_type.startswith("import.")] == ["import.staged", "import.checked"]


def test_the_import_writes_the_same_outcomes_and_the_report_holds_reasons_never_values(org):
    batch = stage_csv(cli(), _mixed(org), org["rep_bj1"].pk)
    done = run(cli(), batch)
    assert (done.created, done.duplicates, done.rejected, done.state) == (2, 2, 2, State.DONE)
    assert set(RowIssue.objects.filter(batch=done).values_list("code", flat=True)) == {
        "invalid",
        "required",
        "duplicate_existing",
        "duplicate_in_file",
    }
    report = services.rejected_report(cli(), done, language="zh-hans").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(report)))
    assert lines[0] == ["行号", "列", "结果", "事由"]
    assert len(lines) == 5
    for value in (BAD_ID, "坏号码客户", "13900009999", "重复已有"):
        assert value not in report
    english = services.rejected_report(cli(), done, language="en").decode("utf-8-sig")
    assert english.splitlines()[0] == "Row,Column,Outcome,Reason"


def test_report_cells_are_formula_safe(org):
    data = csv_bytes(["姓名", "=HYPERLINK(1)"], [["", "x"]])
    batch = stage_csv(cli(), data, org["rep_bj1"].pk)
    services.set_mapping(cli(), batch, {"姓名": "name", "=HYPERLINK(1)": "occupation"})
    done = run(cli(), batch)
    assert done.rejected == 1
    text = services.rejected_report(cli(), done, language="en").decode("utf-8-sig")
    assert "=HYPERLINK" not in text.replace("'=HYPERLINK", "")


def test_a_sales_manager_imports_with_update_mode_through_the_update_service(org, audit_events):
    manager = ctx(org["manager_bj"])
    existing = profiles.create_customer(
        ctx=manager,
        kind="individual",
        data={"name": "旧名", "id_type": "resident_id", "id_number": resident_id(92_000)},
        owner_id=org["rep_bj1"].pk,
    )
    data = csv_bytes(["姓名", "身份证号", "职业"], [["新名", resident_id(92_000), "教师"], ["新客户", resident_id(92_001), ""]])
    batch = services.stage(
        manager,
        file=io.BytesIO(data),
        filename="c.csv",
        provenance=services.Provenance(source_system="旧CRM", lawful_basis="contract", on_match="update", owner_id=org["rep_bj1"].pk),
    )
    assert services.dry_run(manager, batch).counts == {"create": 1, "update": 1, "duplicate": 0, "reject": 0}
    done = run(manager, batch)
    assert (done.created, done.updated) == (1, 1)
    issues = set(RowIssue.objects.filter(batch=done).values_list("row_number", "column", "code"))
    assert (2, "", "updated") in issues
    assert [e.customer_id for e in audit_events("customer.updated")] == [existing.pk]
    assert audit_events("customer.updated")[0].actor_id == org["manager_bj"].pk


def test_the_operator_command_cannot_update(org):
    with pytest.raises(ValidationFailed) as exc:
        stage_csv(cli(), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk, on_match="update")
    assert "on_match" in exc.value.fields


@pytest.mark.parametrize("username", ["rep_bj1", "risk", "auditor", "norole", "admin"])
def test_roles_without_imports_are_refused(org, username):
    with pytest.raises(PermissionDenied):
        stage_csv(ctx(org[username]), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk)
    assert not ImportBatch.objects.exists()


def test_provenance_is_required_and_a_consent_basis_needs_its_evidence(org):
    with pytest.raises(ValidationFailed) as exc:
        stage_csv(cli(), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk, source_system="", lawful_basis="legitimate_interest")
    assert {"source_system", "lawful_basis"} <= set(exc.value.fields)
    with pytest.raises(ValidationFailed) as exc:
        stage_csv(cli(), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk, lawful_basis="consent")
    assert set(exc.value.fields) == {"consent_evidence_ref"}
    assert not ImportBatch.objects.exists()


def test_an_unreadable_file_leaves_no_batch_and_no_stored_file(org, settings, tmp_path):
    settings.CLIENTVAULT_IMPORT_DIR = str(tmp_path)
    with pytest.raises(ValidationFailed):
        stage_csv(cli(), b"\x00\x01\x02\xff" * 100, org["rep_bj1"].pk, filename="x.csv")
    assert not ImportBatch.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_stored_file_is_encrypted_and_deleted_when_done(org, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.CLIENTVAULT_IMPORT_DIR = str(tmp_path)
    data = csv_bytes(HEADER, rows(3))
    batch = stage_csv(cli(), data, org["rep_bj1"].pk)
    stored = tmp_path / batch.stored_name
    raw = stored.read_bytes()
    assert "导入客户".encode() not in raw and b"example.cn" not in raw and len(raw) > len(data)
    with django_capture_on_commit_callbacks(execute=True):
        run(cli(), batch)
    assert not stored.exists()


def test_batches_are_seen_by_their_operator_compliance_and_administrators_only(org):
    manager = ctx(org["manager_bj"])
    batch = stage_csv(manager, csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk)
    assert selectors.batch_for(manager, batch.pk) == batch
    assert selectors.batch_for(ctx(org["compliance"]), batch.pk) == batch
    assert selectors.batch_for(ctx(org["admin"]), batch.pk) == batch
    for username in ("manager_sh", "rep_bj1", "auditor", "risk"):
        with pytest.raises(NotFound):
            selectors.batch_for(ctx(org[username]), batch.pk)
    assert selectors.progress(manager, batch)["state"] == "staged"


def test_a_saved_template_makes_versions_and_the_batch_records_the_one_used(org):
    batch = stage_csv(cli(), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk)
    first = services.set_mapping(cli(), batch, {"姓名": "name", "身份证号": "id_number"}, save_as="旧CRM")
    second = services.set_mapping(cli(), batch, {"姓名": "name", "手机号": "mobile"}, save_as="旧CRM")
    assert first is not None and second is not None and (first.version, second.version) == (1, 2)
    batch.refresh_from_db()
    assert batch.template == second and batch.template_version == 2
    assert MappingTemplate.objects.filter(name="旧CRM").count() == 2
    later = stage_csv(cli(), csv_bytes(["姓名", "手机号"], [["甲", "13900000001"]]), org["rep_bj1"].pk)
    assert later.mapping == {"姓名": "name", "手机号": "mobile"}


def test_a_mapping_without_a_name_column_is_refused(org):
    batch = stage_csv(cli(), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk)
    with pytest.raises(ValidationFailed):
        services.set_mapping(cli(), batch, {"手机号": "mobile"})
    with pytest.raises(ValidationFailed):
        services.set_mapping(cli(), batch, {"姓名": "name", "手机号": "no_such_field"})


def test_provenance_of_a_customer_is_read_with_its_event(org, audit_events):
    done = run(cli(), stage_csv(cli(), csv_bytes(HEADER, rows(1)), org["rep_bj1"].pk))
    record = done.records.get()
    compliance = ctx(org["compliance"])
    found = selectors.provenance_for(compliance, record.customer)
    assert found is not None and (found.batch_id, found.row_number) == (done.pk, 2)
    assert audit_events("import.provenance_viewed")[0].customer_id == record.customer_id
    with pytest.raises(NotFound):
        selectors.provenance_for(ctx(org["rep_other"]), record.customer)
