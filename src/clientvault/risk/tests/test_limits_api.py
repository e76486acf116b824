"""Limits, terms, hold releases and reviews over /api/v1 (issue #16) with personal tokens: structured errors (422 with
translated field messages, 403 without the desk, 404 out of scope, 409 duplicates), and answers without values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.approvals.models import ChangeRequest
from clientvault.risk import holds, reviews
from clientvault.risk.models import ReviewKind
from clientvault.risk.tests.limits_support import YUAN, credit_file, reload, second_risk_officer
from clientvault.testing.actors import ctx, default_purpose
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

API = "/api/v1"


class Api:
    def __init__(self, u: User, *, language: str = "en") -> None:
        purpose = default_purpose(u)
        _token, secret = create_api_token(ctx=ctx(u), name="t", purposes=[purpose] if purpose else [])
        self.client, self.headers = Client(), {"Authorization": f"Bearer {secret}", "Accept-Language": language}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(API + path, json.dumps(body), content_type="application/json", headers=self.headers)


def test_propose_limit_answers_the_change_request_without_the_amount(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    body = {"kind": "permanent", "amount_minor": 2_000_000 * YUAN, "reason": "扩大授信"}
    answer = Api(org["risk"]).post(f"/risk/files/{f.pk}/limits", body)
    assert answer.status_code == 202, answer.content
    data = answer.json()
    assert data["change_type"] == "risk.limit" and data["status"] == "submitted" and data["stages"] == 2
    assert str(2_000_000 * YUAN) not in answer.content.decode()
    assert len(audit_events("approval.submitted")) == 1
    again = Api(second_risk_officer(org)).post(f"/risk/files/{f.pk}/limits", body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_waiting"


def test_validation_errors_are_structured_and_translated(org: Org) -> None:
    f = credit_file(org)
    body = {"kind": "temporary", "amount_minor": 100, "reason": "旺季"}
    answer = Api(org["risk"], language="zh-hans").post(f"/risk/files/{f.pk}/limits", body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_failed" and "valid_until" in error["fields"]
    assert not ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(f.pk)).exists()
    assert Api(org["risk"]).post(f"/risk/files/{f.pk}/limits", {"kind": "permanent"}).status_code == 422


def test_desk_and_scope(org: Org) -> None:
    f = credit_file(org)
    body = {"kind": "permanent", "amount_minor": 100, "reason": "试"}
    assert Api(org["rep_bj1"]).post(f"/risk/files/{f.pk}/limits", body).status_code == 403
    assert Api(org["compliance"]).post(f"/risk/files/{f.pk}/terms", {"days": 1, "reason": "x"}).status_code == 403
    assert Api(org["risk_other"]).post(f"/risk/files/{f.pk}/limits", body).json()["error"]["code"] == "not_found"


def test_terms_shorten_at_once_and_lengthen_by_request(org: Org, audit_events: Any) -> None:
    f = credit_file(org, terms_days=30)
    shorter = Api(org["risk"]).post(f"/risk/files/{f.pk}/terms", {"days": 20, "reason": "逾期"})
    assert shorter.status_code == 200 and shorter.json() == {"applied": True, "request": None}
    longer = Api(org["risk"]).post(f"/risk/files/{f.pk}/terms", {"days": 45, "reason": "大客户"})
    assert longer.json()["applied"] is False and longer.json()["request"]["change_type"] == "risk.terms"
    assert reload(f).terms_days == 20 and len(audit_events("credit.terms_changed")) == 1


def test_hold_release_and_review_completion(org: Org) -> None:
    f = credit_file(org)
    hold = holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code="manual", note="涉诉")
    released = Api(second_risk_officer(org)).post(f"/risk/holds/{hold.pk}/release", {"reason": "撤诉"})
    assert released.status_code == 202 and released.json()["change_type"] == "risk.hold_release"
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=dt.date(2026, 1, 1))
    listed = Api(org["risk"]).get("/risk/reviews").json()
    assert [r["id"] for r in listed] == [str(review.pk)] and listed[0]["overdue"] is True
    assert Api(org["auditor"]).get("/risk/reviews").status_code == 200
    assert Api(org["rep_bj1"]).get("/risk/reviews").status_code == 403
    assert Api(org["risk"]).get("/risk/reviews", {"status": "x"}).status_code == 422
    done = Api(org["risk"]).post(f"/risk/reviews/{review.pk}/complete", {"outcome": "confirmed", "note": "维持"})
    assert done.status_code == 200 and done.json()["status"] == "done" and "维持" not in done.content.decode()
    assert Api(org["risk"]).post(f"/risk/reviews/{review.pk}/complete", {"outcome": "confirmed", "note": "x"}).status_code == 409
