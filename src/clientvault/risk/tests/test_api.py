"""The credit API (issue #16): purpose-bound reads through scoped tokens (X-Purpose), amounts as decimal strings or
null where the policy hides them, one read event per call, 404 out of scope, 403 without the risk desk, and a forced
hold placed through the service with one ``credit.hold_placed`` — or refused with a structured error and nothing written."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.risk.models import CreditHold
from clientvault.risk.tests import desk
from clientvault.testing.actors import ctx, default_purpose
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
API = "/api/v1"
NOTE = "客户失联，暂停授信"


class Token:
    """A scoped API token for one user (its purposes: ``purposes``, else the role's usual one)."""

    def __init__(self, u: User, purposes: list[str] | None = None, header_purpose: str = "") -> None:
        self.client = Client()
        chosen = purposes if purposes is not None else ([default_purpose(u)] if default_purpose(u) else [])
        _token, secret = create_api_token(ctx=ctx(u), name="t", purposes=chosen)
        self.headers = {"Authorization": f"Bearer {secret}"}
        if header_purpose:
            self.headers["X-Purpose"] = header_purpose

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | str) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        return self.client.post(API + path, data, content_type="application/json", headers=self.headers)


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["message"] and (code is None or error["code"] == code), error
    return error


@pytest.fixture
def file_(org: Org) -> Any:
    f = desk.credit_file(customer(org["rep_bj1"], name="接口客户"), tier="high", evaluation=desk.EVALUATION)
    desk.limit(f, 10_000_000)
    desk.hold(f, NOTE)
    desk.score(f)
    return f


def test_risk_officer_reads_a_file_with_amounts_as_decimal_strings(org: Org, file_: Any, audit_events: Any) -> None:
    body = Token(org["risk"]).get(f"/risk/files/{file_.pk}").json()
    assert body["tier"] == "high" and body["limits"][0]["amount"] == "100000.00"
    assert body["exposure"]["exposure"] == "80000.00" and body["exposure"]["days_overdue"] == 45
    assert body["holds"][0]["note"] == NOTE and body["views"]["limit"] == "plain"
    (event,) = audit_events("credit.file_viewed")
    assert event.channel == "api" and event.purpose == "credit_assessment"


def test_a_rep_reads_their_customers_file_with_amounts_null(org: Org, file_: Any) -> None:
    body = Token(org["rep_bj1"]).get(f"/risk/files/{file_.pk}").json()
    assert body["tier"] is None and body["limits"][0]["amount"] is None and body["holds"][0]["note"] is None
    assert body["exposure"]["exposure"] is None and body["views"]["limit"] != "plain"
    assert NOTE not in json.dumps(body, ensure_ascii=False)


def test_out_of_scope_and_missing_answer_alike(org: Org, file_: Any, audit_events: Any) -> None:
    for who in ("rep_bj2", "risk_other"):
        _error(Token(org[who]).get(f"/risk/files/{file_.pk}"), 404, "not_found")
    _error(Token(org["risk"]).get(f"/risk/files/{uuid.uuid4()}"), 404, "not_found")
    assert audit_events("credit.file_viewed") == [] and len(audit_events("access.denied")) == 3


def test_the_auditor_reads_under_the_audit_purpose_only(org: Org, file_: Any) -> None:
    assert Token(org["auditor"]).get(f"/risk/files/{file_.pk}").json()["limits"][0]["amount"] is None
    _error(Token(org["auditor"], purposes=["audit"], header_purpose="credit_assessment").get(f"/risk/files/{file_.pk}"), 403)


def test_the_administrator_has_no_credit_purpose(org: Org, file_: Any) -> None:
    response = Token(org["admin"], purposes=[]).get(f"/risk/files/{file_.pk}")
    assert response.status_code in (400, 403, 404), response.content


def test_score_with_reasons(org: Org, file_: Any, audit_events: Any) -> None:
    score = desk.first_score(file_)
    body = Token(org["risk"]).get(f"/risk/scores/{score.pk}").json()
    assert body["reasons"] and all(r["zh"] and r["en"] for r in body["reasons"])
    assert {p["field"] for p in body["points"]} == set(desk.RISKY_INPUTS) and body["inputs_used"]
    assert len(audit_events("credit.score_viewed")) == 1
    rep = Token(org["rep_bj1"]).get(f"/risk/scores/{score.pk}").json()
    assert rep["reasons"] == [] and rep["score"] is None


def test_list_and_portfolio_need_the_risk_desk(org: Org, file_: Any, audit_events: Any) -> None:
    risk = Token(org["risk"])
    listed = risk.get("/risk/files", tier="high").json()
    assert [i["id"] for i in listed["items"]] == [str(file_.pk)] and listed["items"][0]["limit"] == "100000.00"
    assert len(audit_events("credit.files_listed")) == 1
    book = risk.get("/risk/portfolio").json()
    assert book["files"] == 1 and {t["tier"]: t["files"] for t in book["by_tier"]}["high"] == 1
    assert len(audit_events("credit.portfolio_viewed")) == 1
    _error(risk.get("/risk/files", tier="bogus"), 422, "validation_failed")
    for who in ("rep_bj1", "manager_bj"):
        _error(Token(org[who]).get("/risk/files"), 403, "permission_denied")
        _error(Token(org[who]).get("/risk/portfolio"), 403, "permission_denied")


def test_place_a_forced_hold(org: Org, file_: Any, audit_events: Any) -> None:
    response = Token(org["risk"]).post(f"/risk/files/{file_.pk}/holds", {"reason_code": "legal_action", "note": "被起诉"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "forced" and body["status"] == "active" and body["reason_code"] == "legal_action"
    (event,) = audit_events("credit.hold_placed")
    assert event.actor_id == org["risk"].pk and "被起诉" not in json.dumps(event.detail, ensure_ascii=False)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reason_code": "legal_action", "note": ""}, 422),
        ({"reason_code": "not_a_reason", "note": "x"}, 422),
        ({"note": "x"}, 422),
        ("{not json", 400),
    ],
)
def test_a_bad_hold_is_refused_with_nothing_written(org: Org, file_: Any, body: Any, status: int, audit_events: Any) -> None:
    before = CreditHold.objects.unrestricted(reason="test assertion").count()
    _error(Token(org["risk"]).post(f"/risk/files/{file_.pk}/holds", body), status)
    assert CreditHold.objects.unrestricted(reason="test assertion").count() == before
    assert audit_events("credit.hold_placed") == []


def test_only_who_may_change_the_file_places_a_hold(org: Org, file_: Any) -> None:
    _error(Token(org["rep_bj1"]).post(f"/risk/files/{file_.pk}/holds", {"reason_code": "manual", "note": "x"}), 403)
    _error(Token(org["risk_other"]).post(f"/risk/files/{file_.pk}/holds", {"reason_code": "manual", "note": "x"}), 404)
