"""The import wizard's pages (issue #14, slice B): who reaches them, every step with a real GB18030 file, errors
in the user's language with nothing half-written, sample cells only as the user's policy shows them, the
progress fragment, the rejected-rows report without values, the provenance panel and the undo request."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clientvault.approvals.models import ChangeRequest
from clientvault.customers.models import Customer
from clientvault.intake import services
from clientvault.intake.models import ImportBatch, ImportedRecord, State
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.imports import BAD_ID, SECRET_NOTE, csv_bytes, people
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _client(u: Any, *, language: str = "zh-hans") -> Client:
    client = Client()
    sign_in_verified(client, u)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _upload(client: Client, content: bytes, *, name: str = "客户.csv", **extra: str) -> Any:
    data = {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "source_system": "旧CRM",
        "lawful_basis": "contract",
        "consent_evidence_ref": "",
        "on_match": "skip",
        "sheet": "",
        "template": "",
        **extra,
    }
    return client.post("/imports/new/", data)


def _batch_id(response: Any) -> uuid.UUID:
    match = re.match(r"^/imports/([0-9a-f-]{36})/mapping/", response["Location"])
    assert match, response["Location"]
    return uuid.UUID(match.group(1))


def _mapping_post(client: Client, batch_id: uuid.UUID, **extra: str) -> Any:
    page = client.get(f"/imports/{batch_id}/mapping/").content.decode()
    data = {m.group(1): m.group(2) for m in re.finditer(r'<select name="(col_\d+)"[^>]*>.*?<option value="([^"]*)" selected', page, re.S)}
    for name in re.findall(r'<select name="(col_\d+)"', page):
        data.setdefault(name, "")
    return client.post(f"/imports/{batch_id}/mapping/", {**data, **extra})


def test_the_navigation_shows_imports_to_importers_and_administrators_only(org: Org) -> None:
    for user, shown in (("manager_bj", True), ("compliance", True), ("admin", True), ("rep_bj1", False), ("auditor", False)):
        page = _client(org[user]).get("/accounts/profile/").content.decode()
        assert ('href="/imports/"' in page) is shown, user


def test_reps_and_auditors_get_404_from_every_wizard_page(org: Org) -> None:
    for user in ("rep_bj1", "auditor", "risk", "norole"):
        client = _client(org[user])
        assert client.get("/imports/").status_code == 404, user
        assert client.get("/imports/new/").status_code == 404, user
        assert _upload(client, csv_bytes(people(2))).status_code == 404, user
    assert ImportBatch.objects.count() == 0
    # administrators see batch metadata but do not import
    admin = _client(org["admin"])
    assert admin.get("/imports/").status_code == 200
    assert admin.get("/imports/new/").status_code == 404


def test_a_file_in_no_known_encoding_is_refused_in_the_users_language_and_nothing_is_kept(org: Org) -> None:
    bad = "姓名,手机\r\n".encode() + b"\xff\xfe\x00\xc3\x28\xa0\xa1\xe2\x28\xa1\r\n"
    response = _upload(_client(org["manager_bj"]), bad)
    assert response.status_code == 422
    assert "既不是 UTF-8 也不是 GB18030" in response.content.decode() or "UTF-8" in response.content.decode()
    assert ImportBatch.objects.count() == 0
    english = _upload(_client(org["manager_bj"], language="en"), bad)
    assert english.status_code == 422 and "neither UTF-8 nor GB18030" in english.content.decode()


def test_consent_as_the_basis_needs_the_evidence_reference(org: Org) -> None:
    response = _upload(_client(org["manager_bj"], language="en"), csv_bytes(people(2)), lawful_basis="consent")
    assert response.status_code == 422
    assert "Name where the consents are kept" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_the_whole_wizard_with_a_gb18030_file(org: Org, audit_events: Any) -> None:
    manager = _client(org["manager_bj"])
    response = _upload(manager, csv_bytes(people(30, bad_rows=(4, 9))))
    assert response.status_code == 302
    batch_id = _batch_id(response)
    batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.encoding.lower().replace("-", "") == "gb18030" and batch.source_system == "旧CRM"

    mapping_page = manager.get(f"/imports/{batch_id}/mapping/").content.decode()
    assert 'data-testid="mapping-row"' in mapping_page
    assert SECRET_NOTE not in mapping_page  # an unmapped column shows no sample
    assert "导入客户0001" not in mapping_page  # the manager sees names masked (C2, access/defaults.py)
    viewed = audit_events("import.samples_viewed")
    assert len(viewed) == 1 and viewed[0].object_id == str(batch_id)

    response = _mapping_post(manager, batch_id)
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch_id}/dry-run/"
    dry = manager.get(f"/imports/{batch_id}/dry-run/").content.decode()
    assert re.search(r'data-testid="count-create">28<', dry), dry[:2000]
    assert re.search(r'data-testid="count-reject">2<', dry)
    assert BAD_ID not in dry
    assert Customer.objects.unrestricted(reason="test").count() == 0  # a dry run saves nothing

    response = manager.post(f"/imports/{batch_id}/start/")
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch_id}/"
    fragment = manager.get(f"/imports/{batch_id}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode() and "HX-Refresh" not in fragment
    services.run_chunks(batch_id)  # what the worker's task does
    fragment = manager.get(f"/imports/{batch_id}/progress/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true" and 'data-testid="percent">100%' in fragment.content.decode()

    result = manager.get(f"/imports/{batch_id}/").content.decode()
    assert 'data-testid="rejected-report"' in result and 'data-testid="undo-form"' in result
    assert result.count('data-testid="imported-customer"') == 28
    report = manager.get(f"/imports/{batch_id}/rejected.csv")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    # rows numbered as in the file (the header is row 1): the 4th and 9th data rows are rows 5 and 10
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["5", "10"]
    assert BAD_ID not in text and SECRET_NOTE not in text


def test_the_rejected_report_follows_the_users_language(org: Org) -> None:
    manager = _client(org["manager_bj"], language="en")
    batch_id = _batch_id(_upload(manager, csv_bytes(people(3, bad_rows=(2,)))))
    _mapping_post(manager, batch_id)
    manager.post(f"/imports/{batch_id}/start/")
    services.run_chunks(batch_id)
    english = manager.get(f"/imports/{batch_id}/rejected.csv").content.decode("utf-8-sig")
    chinese = _client(org["manager_bj"]).get(f"/imports/{batch_id}/rejected.csv").content.decode("utf-8-sig")
    assert BAD_ID not in english + chinese
    english_head, english_row = english.splitlines()[:2]
    chinese_head, chinese_row = chinese.splitlines()[:2]
    assert english_head.startswith("Row,") and "Rejected" in english_row
    assert chinese_head.startswith("行号,") and "已驳回" in chinese_row


def test_another_managers_batch_answers_404(org: Org) -> None:
    manager = _client(org["manager_bj"])
    batch_id = _batch_id(_upload(manager, csv_bytes(people(2))))
    other = _client(org["manager_sh"])
    for path in ("", "mapping/", "dry-run/", "progress/", "rejected.csv"):
        assert other.get(f"/imports/{batch_id}/{path}").status_code == 404, path
    assert other.post(f"/imports/{batch_id}/start/").status_code == 404
    assert ImportBatch.objects.get(pk=batch_id).state == State.STAGED


def test_the_customer_page_shows_where_an_imported_customer_came_from(org: Org) -> None:
    manager = _client(org["manager_bj"])
    batch_id = _batch_id(_upload(manager, csv_bytes(people(2))))
    _mapping_post(manager, batch_id)
    manager.post(f"/imports/{batch_id}/start/")
    services.run_chunks(batch_id)
    record = ImportedRecord.objects.filter(batch_id=batch_id).order_by("row_number").first()
    assert record is not None
    page = _client(org["compliance"]).get(f"/customers/{record.customer_id}/").content.decode()
    assert 'data-testid="import-provenance"' in page and "旧CRM" in page
    assert re.search(r'data-testid="provenance-row">[^<]*2', page)  # row 2: the first data row under the header
    other = _client(org["manager_sh"]).get(f"/customers/{record.customer_id}/")
    assert other.status_code == 404 and "旧CRM" not in other.content.decode()


def test_request_undo_opens_a_change_request(org: Org, audit_events: Any) -> None:
    manager = _client(org["manager_bj"])
    batch_id = _batch_id(_upload(manager, csv_bytes(people(2))))
    _mapping_post(manager, batch_id)
    manager.post(f"/imports/{batch_id}/start/")
    services.run_chunks(batch_id)
    assert manager.post(f"/imports/{batch_id}/undo/", {"reason": ""}).status_code == 302
    assert ChangeRequest.objects.unrestricted(reason="test").filter(change_type="intake.undo").count() == 0  # no reason: nothing submitted
    response = manager.post(f"/imports/{batch_id}/undo/", {"reason": "导错了文件"})
    change = ChangeRequest.objects.unrestricted(reason="test").get(change_type="intake.undo")
    assert response.status_code == 302 and response["Location"] == f"/approvals/{change.pk}/"
    assert [e.event_type for e in audit_events("import.undo_requested")] == ["import.undo_requested"]


def test_a_saved_template_is_listed_with_its_versions(org: Org) -> None:
    manager = _client(org["manager_bj"])
    for _ in range(2):
        batch_id = _batch_id(_upload(manager, csv_bytes(people(2))))
        assert _mapping_post(manager, batch_id, save_as="旧CRM导出").status_code == 302
    listing = manager.get("/imports/templates/").content.decode()
    assert "旧CRM导出" in listing and "v2" in listing
    batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.template is not None and batch.template_version == 2
    detail = manager.get(f"/imports/templates/{batch.template_id}/").content.decode()
    assert 'data-testid="template-versions"' in detail and "v1" in detail


def test_a_large_upload_is_streamed_to_disk_and_stored_whole(org: Org, settings: Any) -> None:
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE Django's handlers write the upload to a temporary file; the engine reads it
    from there (``views._file_of`` passes its path), never the whole file from memory."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from clientvault.intake import views

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = csv_bytes(people(80))
    assert len(content) > 4 * 1024
    response = _upload(_client(org["manager_bj"]), content)
    assert response.status_code == 302
    batch = ImportBatch.objects.get(pk=_batch_id(response))
    assert batch.size == len(content) and batch.rows_total in (0, 80)
    temporary = TemporaryUploadedFile("x.csv", "text/csv", 3, None)
    try:
        assert str(views._file_of(temporary)) == temporary.temporary_file_path()
    finally:
        temporary.close()
