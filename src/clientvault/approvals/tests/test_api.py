"""Change requests over /api/v1 (issue #13) with a personal token: lists, one request (``approval.viewed`` on
the api channel), decisions with their events and refusals, the approval rules; the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.approvals import services
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.tests import support
from clientvault.core import roles as R
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx, default_purpose
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

API = "/api/v1"
MANAGER_1 = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]


class Api:
    def __init__(self, u: User) -> None:
        purpose = default_purpose(u)
        _token, secret = create_api_token(ctx=ctx(u), name="t", purposes=[purpose] if purpose else [])
        self.client, self.headers = Client(), {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(API + path, json.dumps(body), content_type="application/json", headers=self.headers)


@pytest.fixture
def cr(org: Org) -> ChangeRequest:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1)
    return services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="客户换了工作")


def test_inbox_and_mine(org: Org, cr: ChangeRequest) -> None:
    inbox = Api(org["manager_bj"]).get("/approvals/inbox").json()
    assert inbox["total"] == 1 and inbox["items"][0]["id"] == str(cr.id) and inbox["items"][0]["sla"] == "ok"
    assert inbox["items"][0]["maker"] == "rep_bj1" and inbox["items"][0]["summary"] == "Occupation change"
    assert Api(org["manager_bj"]).get("/approvals/inbox", {"due": "overdue"}).json()["total"] == 0
    assert Api(org["manager_bj"]).get("/approvals/inbox", {"change_type": support.JOB}).json()["total"] == 0
    assert Api(org["rep_bj1"]).get("/approvals/inbox").json()["total"] == 0
    mine = Api(org["rep_bj1"]).get("/approvals/mine", {"status": "open"}).json()
    assert [i["id"] for i in mine["items"]] == [str(cr.id)]
    assert Api(org["rep_bj1"]).get("/approvals/mine", {"status": "bogus"}).status_code == 422
    assert Api(org["admin"]).get("/approvals/inbox").status_code == 403


def test_one_request_shows_the_diff_and_trail_and_records_its_read(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    body = Api(org["manager_bj"]).get(f"/approvals/{cr.id}").json()
    assert body["diff"] == [{"field": "occupation", "label": "occupation", "before": "教师", "after": "医生", "shown_plain": True}]
    assert body["may_decide"] is True and body["may_withdraw"] is False and body["decisions"] == []
    assert body["plan"] == [{"stage": 1, "roles": ["sales_manager"], "required": 1, "supervisor": False}]
    [viewed] = audit_events("approval.viewed")
    assert viewed.channel == "api" and viewed.actor_id == org["manager_bj"].pk
    missing = Api(org["rep_bj2"]).get(f"/approvals/{cr.id}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert len(audit_events("approval.viewed")) == 1


def test_decisions_over_the_api(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    own = Api(org["rep_bj1"]).post(f"/approvals/{cr.id}/approve", {})
    assert own.status_code == 403 and own.json()["error"]["code"] == "maker_is_checker"
    no_reason = Api(org["manager_bj"]).post(f"/approvals/{cr.id}/reject", {"reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    assert audit_events("approval.rejected") == [] and audit_events("approval.approved") == []
    done = Api(org["manager_bj"]).post(f"/approvals/{cr.id}/approve", {"reason": "ok"})
    assert done.status_code == 200 and done.json()["status"] == "applied"
    assert len(audit_events("approval.approved")) == 1 and len(audit_events("approval.applied")) == 1
    again = Api(org["manager_bj"]).post(f"/approvals/{cr.id}/approve", {})
    assert again.status_code == 409
    late = Api(org["rep_bj1"]).post(f"/approvals/{cr.id}/withdraw", {})
    assert late.status_code == 409 and audit_events("approval.withdrawn") == []


def test_withdraw_by_the_maker(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    assert Api(org["manager_bj"]).post(f"/approvals/{cr.id}/withdraw", {}).status_code == 403
    response = Api(org["rep_bj1"]).post(f"/approvals/{cr.id}/withdraw", {"reason": "不改了"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    [event] = audit_events("approval.withdrawn")
    assert event.actor_id == org["rep_bj1"].pk


def test_approval_rules_are_read_by_compliance_auditors_and_administrators(org: Org) -> None:
    rules = Api(org["compliance"]).get("/approval-rules").json()
    codes = {r["code"] for r in rules}
    assert {"customers-sensitive-field", "customers-entry-review", "assets-movement"} <= codes
    assert Api(org["admin"]).get("/approval-rules").status_code == 200
    assert Api(org["rep_bj1"]).get("/approval-rules").status_code == 403


def test_the_openapi_document_names_the_schemas(client: Client) -> None:
    doc = client.get(f"{API}/openapi.json").json()
    for path in ("/approvals/inbox", "/approvals/mine", "/approvals/{change_request_id}", "/approval-rules"):
        assert f"{API}{path}" in doc["paths"]
    assert {"RequestOut", "RequestPageOut", "RuleOut", "DecisionIn"} <= set(doc["components"]["schemas"])
