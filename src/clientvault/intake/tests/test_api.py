"""The import API (issue #14, slice B): multipart upload with provenance, mapping, dry run, start, progress,
the rejected-rows report, batches and the undo request — structured errors, nothing half-written, no values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clientvault.approvals.models import ChangeRequest
from clientvault.customers.models import Customer
from clientvault.intake import services
from clientvault.intake.models import ImportBatch
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.imports import BAD_ID, SECRET_NOTE, csv_bytes, people
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
P = "/api/v1"


def _client(u: Any, *, language: str = "en") -> Client:
    client = Client()
    sign_in_verified(client, u)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _upload(client: Client, content: bytes, **extra: str) -> Any:
    data = {
        "file": SimpleUploadedFile("customers.csv", content, content_type="text/csv"),
        "source_system": "old CRM",
        "lawful_basis": "contract",
    }
    return client.post(f"{P}/imports", {**data, **extra}, HTTP_X_PURPOSE="sales_followup")


def _json(client: Client, method: str, path: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(path, HTTP_X_PURPOSE="sales_followup")
    return call(path, json.dumps(body), content_type="application/json", HTTP_X_PURPOSE="sales_followup")


def test_the_whole_import_over_the_api(org: Org, audit_events: Any) -> None:
    client = _client(org["manager_bj"])
    response = _upload(client, csv_bytes(people(12, bad_rows=(3,))))
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["state"] == "staged" and batch["lawful_basis"] == "contract" and len(batch["sha256"]) == 64
    assert batch["columns"][:2] == ["姓名", "身份证号"]
    batch_id = batch["id"]

    guessed = _json(client, "get", f"{P}/imports/{batch_id}/mapping").json()
    assert guessed["mapping"]["姓名"] == "name" and any(f["code"] == "mobile" for f in guessed["fields"])
    mapping = {k: v for k, v in guessed["mapping"].items() if k != "备注"}
    mapped = _json(client, "put", f"{P}/imports/{batch_id}/mapping", {"mapping": mapping})
    assert mapped.status_code == 200 and mapped.json()["state"] == "mapped"

    dry = _json(client, "post", f"{P}/imports/{batch_id}/dry-run").json()
    assert dry["counts"] == {"create": 11, "update": 0, "duplicate": 0, "reject": 1}
    [rejected] = [r for r in dry["rows"] if r["outcome"] == "reject"]
    assert rejected["reasons"] and all(BAD_ID not in r["reason"] for r in rejected["reasons"])
    assert Customer.objects.unrestricted(reason="test").count() == 0

    started = _json(client, "post", f"{P}/imports/{batch_id}/start")
    assert started.status_code == 202 and started.json()["state"] == "queued"
    services.run_chunks(ImportBatch.objects.get(pk=batch_id).pk)
    progress = _json(client, "get", f"{P}/imports/{batch_id}/progress").json()
    assert progress["state"] == "done" and progress["percent"] == 100 and progress["created"] == 11 and progress["rejected"] == 1

    report = _json(client, "get", f"{P}/imports/{batch_id}/rejected")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    assert BAD_ID not in report.content.decode("utf-8-sig") and SECRET_NOTE not in report.content.decode("utf-8-sig")

    listed = _json(client, "get", f"{P}/imports").json()
    assert [b["id"] for b in listed] == [batch_id]

    undo = _json(client, "post", f"{P}/imports/{batch_id}/undo", {"reason": "wrong file"})
    assert undo.status_code == 202
    assert ChangeRequest.objects.unrestricted(reason="test").get(pk=undo.json()["change_request_id"]).change_type == "intake.undo"


def test_a_bad_upload_is_a_structured_error_and_keeps_nothing(org: Org) -> None:
    client = _client(org["manager_bj"])
    response = _upload(client, b"\xff\xfe\x00\xc3\x28\xa0\xa1\xe2\x28\xa1" * 20)
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "bad_encoding" and "file" in body["fields"]  # the reader's code; no value echoed
    consent = _upload(client, csv_bytes(people(2)), lawful_basis="consent")
    assert consent.status_code == 422 and "consent_evidence_ref" in consent.json()["error"]["fields"]
    unknown = _upload(client, csv_bytes(people(2)), lawful_basis="because")
    assert unknown.status_code == 422
    assert ImportBatch.objects.count() == 0


def test_roles_without_imports_are_refused_and_other_scopes_see_404(org: Org) -> None:
    rep = _client(org["rep_bj1"])
    assert _upload(rep, csv_bytes(people(2))).status_code == 403
    assert _json(rep, "get", f"{P}/imports").status_code == 403
    batch_id = _upload(_client(org["manager_bj"]), csv_bytes(people(2))).json()["id"]
    other = _client(org["manager_sh"])
    assert _json(other, "get", f"{P}/imports/{batch_id}").status_code == 404
    assert _json(other, "post", f"{P}/imports/{batch_id}/start").status_code == 404
    assert ImportBatch.objects.get(pk=batch_id).state == "staged"
