"""The lifecycle desk pages (issue #15): retention rules (PIPL-19; a shortening needs a second compliance officer,
rule 12), legal holds (AML-34; lifting is maker ≠ checker) and restricted customers (PIPL-47, compliance only).
Pages render in Chinese by default, refuse other roles with 404 (default deny), and each POST leaves its event."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clientvault.lifecycle import services
from clientvault.lifecycle.models import LegalHold, RetentionRule, RetentionRuleChange
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.organisation import Org, second_officer

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    sign_in_verified(c, user)
    return c


def test_rules_page_in_chinese_with_history_and_navigation(org: Org) -> None:
    page = client_for(org["compliance"]).get("/lifecycle/rules/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="zh-Hans"' in html
    assert 'data-code="kyc-aml"' in html and "AML-34" in html and 'data-testid="versions-kyc-aml"' in html
    assert 'data-testid="rule-propose-kyc-aml"' in html
    assert "<td>compliance_review</td>" not in html and ">legal_duty<" not in html  # purposes and bases by name, not code
    for link in ("/lifecycle/rules/", "/lifecycle/holds/", "/lifecycle/restricted/", "/lifecycle/certificates/"):
        assert f'href="{link}"' in html, link
    auditor = client_for(org["auditor"]).get("/lifecycle/rules/").content.decode()
    assert 'data-code="kyc-aml"' in auditor and "rule-propose-" not in auditor  # reads, never proposes
    assert 'href="/lifecycle/holds/"' in auditor and 'href="/lifecycle/restricted/"' not in auditor
    for name in ("rep_bj1", "manager_bj", "risk", "norole"):
        assert client_for(org[name]).get("/lifecycle/rules/").status_code == 404, name


def test_a_shortening_is_proposed_and_decided_by_another_officer(org: Org, audit_events: Any) -> None:
    officer = client_for(org["compliance"])
    url = "/lifecycle/rules/followups-sales/propose/"
    assert officer.post(url, {"period_months": "12", "reason": ""}).status_code == 302  # no reason: nothing happens
    assert not RetentionRuleChange.objects.exists() and not audit_events("lifecycle.rule_change_proposed")
    assert client_for(org["auditor"]).post(url, {"period_months": "12", "reason": "x"}).status_code == 404
    assert officer.post(url, {"period_months": "12", "reason": "业务需要"}).status_code == 302
    change = RetentionRuleChange.objects.get(code="followups-sales", status="pending")
    assert [e.object_id for e in audit_events("lifecycle.rule_change_proposed")] == ["followups-sales"]
    assert RetentionRule.objects.get(code="followups-sales").period_months == 36  # not yet (rule 12)
    decide = f"/lifecycle/rules/changes/{change.pk}/decide/"
    officer.post(decide, {"action": "approve"})  # the proposer cannot decide
    assert RetentionRuleChange.objects.get(pk=change.pk).status == "pending" and not audit_events("lifecycle.rule_change_decided")
    assert client_for(second_officer(org)).post(decide, {"action": "approve"}).status_code == 302
    assert RetentionRule.objects.get(code="followups-sales").period_months == 12
    assert len(audit_events("lifecycle.rule_change_decided")) == 1


def test_a_longer_period_takes_effect_at_once(org: Org, audit_events: Any) -> None:
    client_for(org["compliance"]).post("/lifecycle/rules/followups-sales/propose/", {"period_months": "48", "reason": "延长"})
    rule = RetentionRule.objects.get(code="followups-sales")
    assert (rule.period_months, rule.version) == (48, 2)
    assert len(audit_events("lifecycle.rule_changed")) == 1 and not RetentionRuleChange.objects.exists()


def test_holds_place_request_lift_and_decide(org: Org, audit_events: Any) -> None:
    c = cf.customer(org["rep_bj1"])
    officer = client_for(org["compliance"])
    page = officer.get("/lifecycle/holds/")
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.content.decode()
    data = {"customer_id": str(c.pk), "basis": "litigation", "reference": "（2026）京01民初1号", "category": ""}
    assert client_for(org["auditor"]).post("/lifecycle/holds/place/", data).status_code == 404
    assert officer.post("/lifecycle/holds/place/", data).status_code == 302
    hold = LegalHold.objects.get(customer_id=c.pk)
    assert len(audit_events("lifecycle.hold_placed")) == 1
    listed = client_for(org["auditor"]).get("/lifecycle/holds/").content.decode()
    assert str(c.pk) in listed and "hold-place" not in listed  # auditors read
    assert client_for(org["rep_bj1"]).get("/lifecycle/holds/").status_code == 404
    officer.post(f"/lifecycle/holds/{hold.pk}/lift/", {"reason": ""})  # a reason is required
    assert LegalHold.objects.get(pk=hold.pk).status == "active"
    officer.post(f"/lifecycle/holds/{hold.pk}/lift/", {"reason": "诉讼已结案"})
    assert LegalHold.objects.get(pk=hold.pk).status == "lift_requested"
    assert len(audit_events("lifecycle.hold_lift_requested")) == 1
    officer.post(f"/lifecycle/holds/{hold.pk}/decide/", {"action": "approve"})  # maker ≠ checker
    assert LegalHold.objects.get(pk=hold.pk).status == "lift_requested" and not audit_events("lifecycle.hold_lifted")
    client_for(second_officer(org)).post(f"/lifecycle/holds/{hold.pk}/decide/", {"action": "approve"})
    assert LegalHold.objects.get(pk=hold.pk).status == "lifted"
    assert len(audit_events("lifecycle.hold_lifted")) == 1


def test_a_hold_of_the_other_legal_entity_is_missing(org: Org) -> None:
    foreign = cf.customer(org["rep_other"])
    officer = client_for(org["compliance"])
    data = {"customer_id": str(foreign.pk), "basis": "litigation", "reference": "x"}
    assert officer.post("/lifecycle/holds/place/", data).status_code == 404
    assert not LegalHold.objects.exists()


def test_restricted_customers_compliance_only(org: Org, audit_events: Any) -> None:
    c = cf.customer(org["rep_bj1"])
    services.restrict_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="rr-page", reason="客户要求")
    page = client_for(org["compliance"]).get("/lifecycle/restricted/")
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.content.decode()
    assert str(c.pk) in page.content.decode()
    assert [e.detail.get("count") for e in audit_events("lifecycle.restricted_listed")] == [1]
    for name in ("auditor", "admin", "rep_bj1", "manager_bj"):
        assert client_for(org[name]).get("/lifecycle/restricted/").status_code == 404, name
    assert len(audit_events("lifecycle.restricted_listed")) == 1
