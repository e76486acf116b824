"""The risk officer's pages for limits, terms, hold releases and reviews (issue #16): a form each, redirecting on
success, showing the service's messages on their fields in the user's language on error (nothing written), and
answering 404 without the desk or out of scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from clientvault.approvals.models import ChangeRequest
from clientvault.risk import holds, reviews
from clientvault.risk.models import CreditLimit, CreditReview, ReviewKind
from clientvault.risk.tests.limits_support import TODAY, credit_file, reload, second_risk_officer
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _client(org: Org, who: str = "risk", language: str = "en") -> Client:
    client = Client()
    sign_in_verified(client, org[who] if who != "risk2" else second_risk_officer(org))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _requests(target: Any) -> int:
    return ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(target)).count()


def test_limit_form_submits_a_change_request(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    client = _client(org)
    page = client.get(f"/risk/files/{f.pk}/limits/new/")
    assert page.status_code == 200 and b'name="amount"' in page.content and b"CNY" in page.content
    answer = client.post(f"/risk/files/{f.pk}/limits/new/", {"kind": "permanent", "amount": "500,000.00", "reason": "年度授信"})
    assert answer.status_code == 302
    [change] = ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(f.pk))
    assert answer["Location"] == f"/approvals/{change.pk}/" and change.rule_code == "risk-limit-standard"
    assert len(audit_events("approval.submitted")) == 1
    assert not CreditLimit.objects.unrestricted(reason="test").filter(credit_file_id=f.pk).exists()


def test_limit_form_errors_in_english_and_nothing_written(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    answer = _client(org).post(f"/risk/files/{f.pk}/limits/new/", {"kind": "temporary", "amount": "100", "reason": "旺季"})
    assert answer.status_code == 422
    assert b'data-testid="error-valid_until"' in answer.content and b"A temporary limit needs an end date." in answer.content
    bad = _client(org).post(f"/risk/files/{f.pk}/limits/new/", {"kind": "permanent", "amount": "1.001", "reason": "x"})
    assert bad.status_code == 422 and b'data-testid="error-amount"' in bad.content
    assert _requests(f.pk) == 0 and audit_events() == []


def test_form_errors_in_chinese_by_default(org: Org) -> None:
    f = credit_file(org)
    answer = _client(org, language="zh-hans").post(f"/risk/files/{f.pk}/terms/", {"days": "10"})
    assert answer.status_code == 422
    assert "此字段为必填项" in answer.content.decode() and reload(f).terms_days == 30


def test_terms_form_shortens_at_once_and_lengthens_by_request(org: Org) -> None:
    f = credit_file(org, terms_days=30)
    client = _client(org)
    shorter = client.post(f"/risk/files/{f.pk}/terms/", {"days": "15", "reason": "逾期"})
    assert shorter.status_code == 302 and shorter["Location"] == f"/risk/files/{f.pk}/" and reload(f).terms_days == 15
    longer = client.post(f"/risk/files/{f.pk}/terms/", {"days": "60", "reason": "大客户"})
    assert longer.status_code == 302 and longer["Location"].startswith("/approvals/") and reload(f).terms_days == 15


def test_hold_release_form(org: Org) -> None:
    f = credit_file(org)
    hold = holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code="manual", note="涉诉")
    client = _client(org, "risk2")
    assert client.get(f"/risk/holds/{hold.pk}/release/").status_code == 200
    assert client.post(f"/risk/holds/{hold.pk}/release/", {"reason": ""}).status_code == 422
    answer = client.post(f"/risk/holds/{hold.pk}/release/", {"reason": "已撤诉"})
    assert answer.status_code == 302 and _requests(hold.pk) == 1


def test_rule_hold_release_is_refused_in_the_form(org: Org) -> None:
    from clientvault.core.context import system_context

    f = credit_file(org)
    rule_hold = holds.ensure_rule_hold(system_context(), f, "days_overdue")
    assert rule_hold is not None
    answer = _client(org).post(f"/risk/holds/{rule_hold.pk}/release/", {"reason": "已还款"})
    assert answer.status_code == 409 and b"credit-control evaluation" in answer.content and _requests(rule_hold.pk) == 0


def test_review_form_completes(org: Org) -> None:
    f = credit_file(org)
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=TODAY)
    client = _client(org)
    assert client.get(f"/risk/reviews/{review.pk}/complete/").status_code == 200
    invalid = client.post(f"/risk/reviews/{review.pk}/complete/", {"outcome": "changed", "note": "调整"})
    assert invalid.status_code == 422 and b'data-testid="error-tier"' in invalid.content
    done = client.post(f"/risk/reviews/{review.pk}/complete/", {"outcome": "changed", "tier": "high", "note": "调整"})
    assert done.status_code == 302 and done["Location"] == f"/risk/files/{f.pk}/"
    assert CreditReview.objects.unrestricted(reason="test").get(pk=review.pk).status == "done" and reload(f).tier == "high"


@pytest.mark.parametrize("who", ["rep_bj1", "compliance", "auditor", "risk_other", "admin"])
def test_pages_answer_404_without_the_desk_or_out_of_scope(org: Org, who: str) -> None:
    f = credit_file(org)
    hold = holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code="manual", note="涉诉")
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=TODAY)
    client = _client(org, who)
    for url in (
        f"/risk/files/{f.pk}/limits/new/",
        f"/risk/files/{f.pk}/terms/",
        f"/risk/holds/{hold.pk}/release/",
        f"/risk/reviews/{review.pk}/complete/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "days": "1", "kind": "permanent", "amount": "1"}).status_code == 404, url
    assert _requests(f.pk) == 0 and reload(f).terms_days == 30
