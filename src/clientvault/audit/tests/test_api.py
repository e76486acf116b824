"""The audit trail over JSON: /api/v1/audit/… — search, a customer's events, proofs, evidence packs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts import services as account_services
from clientvault.audit import sealing
from clientvault.audit.models import AuditEvent
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.audit import event, trusted_public_key, verifier
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
API = "/api/v1/audit"
CUSTOMER = uuid.UUID("33333333-3333-4333-8333-333333333333")


@pytest.fixture
def trail(org: Org) -> list[AuditEvent]:
    rep = ctx(org["rep_bj1"])
    at = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)
    return [
        event(rep, at=at, customer_id=CUSTOMER),
        event(rep, "customer.updated", at=at + dt.timedelta(hours=1), customer_id=CUSTOMER, fields=("mobile", "email")),
        event(ctx(org["manager_bj"]), "customer.field_revealed", at=at + dt.timedelta(days=1), outcome="denied"),
    ]


def _client(org: Org, who: str) -> Client:
    client = Client()
    sign_in_verified(client, org[who])
    return client


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"]
    return error


def test_search_with_every_filter(org: Org, trail: list[AuditEvent], audit_events: Any) -> None:
    client = _client(org, "auditor")
    everything = client.get(f"{API}/events").json()
    assert [i["event_id"] for i in everything["items"][:3]] == [str(e.event_id) for e in reversed(trail)]
    item = everything["items"][1]
    assert item["event_type"] == "customer.updated" and item["fields"] == ["email", "mobile"] and item["customer_id"] == str(CUSTOMER)
    assert item["actor_username"] == "rep_bj1" and item["sealed"] is False and item["leaf_index"] is None
    assert item["event_label"] == "修改客户档案"

    def ids(**params: str) -> list[str]:
        response = client.get(f"{API}/events", params)
        assert response.status_code == 200, response.content
        return [i["event_id"] for i in response.json()["items"]]

    a, b, c = (str(e.event_id) for e in trail)
    assert ids(customer=str(CUSTOMER)) == [b, a]
    assert ids(actor="manager_bj") == [c]
    assert ids(event_type="customer.updated") == [b]
    assert ids(outcome="denied") == [c]
    assert ids(purpose="sales_followup", customer=str(CUSTOMER)) == [b, a]
    assert ids(**{"from": "2026-03-01", "to": "2026-03-01"}) == [b, a]
    assert ids(**{"from": "2026-03-01T03:00:00Z", "to": "2026-03-01"}) == [b]
    assert ids(**{"from": "2026-03-01T03:00:00Z", "to": "2026-03-02"}) == [c, b]
    page = client.get(f"{API}/events", {"actor": "rep_bj1", "per_page": "1", "page": "2"}).json()
    assert (page["total"], page["pages"], page["page"], page["per_page"]) == (2, 2, 2, 1) and page["items"][0]["event_id"] == a
    searched = audit_events("audit.searched")
    assert len(searched) == 10 and all(e.channel == "api" for e in searched)
    assert searched[4].detail == {"filter_keys": ["outcome"], "result_count": 1, "page": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"customer": "13800138000"}, "customer"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"event_type": "customer.peeked"}, "event_type"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_bad_filters_are_structured_422_in_the_users_language(org: Org, params: dict[str, str], field: str, audit_events: Any) -> None:
    client = _client(org, "compliance")
    error = _error(client.get(f"{API}/events", params), 422, "validation_failed")
    assert list(error["fields"]) == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["fields"][field][0]), "messages are in Chinese by default"
    assert "13800138000" not in str(error)
    assert audit_events("audit.searched") == []


@pytest.mark.parametrize("who", ["admin", "risk", "manager_bj", "rep_bj1", "norole"])
def test_other_roles_get_a_structured_403(org: Org, trail: list[AuditEvent], who: str, audit_events: Any) -> None:
    client = _client(org, who)
    for url in (
        f"{API}/events",
        f"{API}/customers/{CUSTOMER}/events",
        f"{API}/events/{trail[0].event_id}/proof",
        f"{API}/evidence?customer={CUSTOMER}",
    ):
        _error(client.get(url), 403, "permission_denied")
    assert [e for e in audit_events() if e.event_type.startswith("audit.")] == []


def test_anonymous_gets_401(trail: list[AuditEvent]) -> None:
    _error(Client().get(f"{API}/events"), 401, "not_authenticated")


def test_customer_events(org: Org, trail: list[AuditEvent], audit_events: Any) -> None:
    response = _client(org, "compliance").get(f"{API}/customers/{CUSTOMER}/events")
    assert response.status_code == 200
    assert [i["event_id"] for i in response.json()["items"]] == [str(trail[1].event_id), str(trail[0].event_id)]
    [viewed] = audit_events("audit.customer_history_viewed")
    assert viewed.customer_id == CUSTOMER and viewed.channel == "api"


def test_proof_of_one_event(org: Org, trail: list[AuditEvent], audit_events: Any) -> None:
    client = _client(org, "auditor")
    url = f"{API}/events/{trail[0].event_id}/proof"
    _error(client.get(url), 409, "not_sealed")
    _error(client.get(f"{API}/events/{uuid.uuid4()}/proof"), 404, "not_found")
    _error(client.get(f"{API}/events/not-an-id/proof"), 404, "not_found")
    assert audit_events("audit.evidence_exported") == []
    sealing.seal()
    document = client.get(url).json()
    assert document["event_id"] == str(trail[0].event_id) and document["tree_size"] >= 3
    assert verifier().check(document, trusted_public_key(document)) == []
    [exported] = audit_events("audit.evidence_exported")
    assert exported.detail["format"] == "proof" and exported.customer_id == CUSTOMER


def test_evidence_json_and_csv(org: Org, trail: list[AuditEvent], audit_events: Any) -> None:
    sealing.seal()
    client = _client(org, "compliance")
    response = client.get(f"{API}/evidence", {"customer": str(CUSTOMER)})
    assert response.status_code == 200 and response["Content-Disposition"].startswith('attachment; filename="clientvault-evidence-')
    pack = response.json()
    assert pack["event_count"] == 2 and pack["filters"]["customer"] == str(CUSTOMER) and pack["generated_by"] == "compliance"
    for proof in pack["proofs"]:
        assert verifier().check({**proof, "checkpoint": pack["checkpoint"]}, trusted_public_key(pack)) == []
    response = client.get(f"{API}/evidence", {"from": "2026-03-01", "to": "2026-03-02", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["event_id"] for r in rows] == [str(e.event_id) for e in trail]
    assert {r["sealed"] for r in rows} == {"sealed"}
    exported = audit_events("audit.evidence_exported")
    assert [e.detail["format"] for e in exported] == ["json", "csv"] and all(e.channel == "api" for e in exported)


def test_evidence_pack_answers_as_its_schema_documents(org: Org, trail: list[AuditEvent]) -> None:
    """Regression (found by tests/test_api_fuzz.py, issue #12): the pack's ``format`` is its format name, which
    the schema declared as the query's json/csv; and the CSV download is a documented content type."""
    from clientvault.api import api
    from clientvault.audit.schemas import EvidencePackOut

    document = json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes are strings
    content = document["paths"][f"{API}/evidence"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    pack = _client(org, "compliance").get(f"{API}/evidence", {"customer": str(CUSTOMER)}).json()
    assert pack["format"] == "clientvault-evidence-pack"
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/EvidencePackOut"}
    EvidencePackOut.model_validate(pack)  # the documented schema is this model's


def test_evidence_filters_before_1901_are_valid_date_times(org: Org) -> None:
    """Regression (found by tests/test_api_fuzz.py, issue #12): ``to=0211-08-19`` echoed the bound with
    Shanghai's local mean time offset, +08:05:43, which is no RFC 3339 date-time; it is written in UTC."""
    pack = _client(org, "compliance").get(f"{API}/evidence", {"to": "0211-08-19"}).json()
    assert pack["filters"]["to"] == "0211-08-19T15:54:17+00:00"
    parsed = dt.datetime.fromisoformat(pack["filters"]["to"])
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 422, "filter_required"),
        ({"format": "csv"}, 422, "filter_required"),
        ({"customer": str(CUSTOMER), "format": "pdf"}, 422, "validation_failed"),
        ({"from": "yesterday"}, 422, "validation_failed"),
        ({"customer": "x"}, 422, "validation_failed"),
    ],
)
def test_evidence_refusals(org: Org, trail: list[AuditEvent], params: dict[str, str], status: int, code: str, audit_events: Any) -> None:
    _error(_client(org, "auditor").get(f"{API}/evidence", params), status, code)
    assert audit_events("audit.evidence_exported") == []


def test_evidence_above_the_maximum(org: Org, trail: list[AuditEvent], settings: Any, audit_events: Any) -> None:
    settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS = 1
    client = _client(org, "auditor")
    client.cookies["cv_language"] = "en"
    error = _error(client.get(f"{API}/evidence", {"customer": str(CUSTOMER)}), 422, "evidence_too_large")
    assert "2 events" in error["message"] and "at most 1" in error["message"]
    assert audit_events("audit.evidence_exported") == []


def test_api_token_with_the_audit_purpose_reads_the_trail(org: Org, trail: list[AuditEvent], audit_events: Any) -> None:
    _token, secret = account_services.create_api_token(ctx=ctx(org["auditor"]), name="evidence", purposes=["audit"])
    response = Client().get(f"{API}/customers/{CUSTOMER}/events", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["total"] == 2
    [viewed] = audit_events("audit.customer_history_viewed")
    assert viewed.purpose == "audit" and viewed.channel == "api"
