"""The credit-control rule and tier-policy pages (issue #16; rules 9 and 12): risk officers change them, a loosening
waits on the list for a second risk officer who decides it there, readers see them without forms, everyone else gets
404; bad input is said on its field in the user's language and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from clientvault.risk.models import ControlRule, ControlRuleChange, TierPolicy, TierPolicyChange
from clientvault.risk.tests.limits_support import second_risk_officer
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

LIST = "/risk/control-rules/"
TERMS = {"p_max_days_high": "30", "p_max_days_medium": "60", "p_max_days_low": "90", "p_max_days_unscored": "30"}


def _client(org: Org, who: str = "risk", language: str = "en") -> Client:
    client = Client()
    sign_in_verified(client, org[who] if who != "risk2" else second_risk_officer(org))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _rule_post(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"action": "hold", "checkpoints": ["evaluation"], "active": "on", "p_at": "30", "reason": "复核"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_the_list_shows_rules_policy_and_change_links_to_risk_officers(org: Org) -> None:
    page = _client(org, language="zh-hans").get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-code="days-overdue"' in text and "逾期天数" in text and 'href="/risk/control-rules/days-overdue/edit/"' in text
    assert 'data-testid="tier-policy-default"' in text and 'href="/risk/tier-policies/default/edit/"' in text


@pytest.mark.parametrize("who", ["compliance", "auditor", "admin"])
def test_readers_see_the_rules_without_forms(org: Org, who: str) -> None:
    client = _client(org, who)
    page = client.get(LIST)
    assert page.status_code == 200 and b'data-code="days-overdue"' in page.content and b"/edit/" not in page.content
    assert client.get("/risk/control-rules/days-overdue/edit/").status_code == 404
    assert client.post("/risk/control-rules/days-overdue/edit/", _rule_post(p_at="10")).status_code == 404
    assert ControlRule.objects.get(code="days-overdue").version == 1


@pytest.mark.parametrize("who", ["rep_bj1", "manager_bj", "norole"])
def test_everyone_else_gets_404(org: Org, who: str) -> None:
    client = _client(org, who)
    for url in (LIST, "/risk/control-rules/new/", "/risk/control-rules/days-overdue/edit/", "/risk/tier-policies/default/edit/"):
        assert client.get(url).status_code == 404, url


def test_a_tightening_is_in_force_on_save(org: Org, audit_events: Any) -> None:
    client = _client(org)
    form = client.get("/risk/control-rules/days-overdue/edit/")
    assert form.status_code == 200 and b'name="p_at"' in form.content and b'value="30"' in form.content
    answer = client.post("/risk/control-rules/days-overdue/edit/", _rule_post(p_at="15"))
    assert answer.status_code == 302 and answer["Location"] == LIST
    row = ControlRule.objects.get(code="days-overdue")
    assert (row.version, row.params) == (2, {"at": 15})
    assert len(audit_events("credit.rule_changed")) == 1
    assert b"The change is in force." in client.get(LIST).content
    history = client.get("/risk/control-rules/days-overdue/edit/").content.decode()
    assert "v2" in history and "复核" in history


def test_a_loosening_waits_and_a_second_risk_officer_decides_it_on_the_list(org: Org, audit_events: Any) -> None:
    client = _client(org)
    answer = client.post(
        "/risk/control-rules/terms-over-tier-max/edit/",
        _rule_post(action="block", checkpoints=["terms_change"], p_at=None, **{**TERMS, "p_max_days_medium": "120"}),
    )
    assert answer.status_code == 302
    change = ControlRuleChange.objects.get(code="terms-over-tier-max")
    assert change.lowers == ["params"] and ControlRule.objects.get(code="terms-over-tier-max").version == 1
    own = client.get(LIST).content.decode()
    assert "a second risk officer decides it" in own and f'data-testid="decide-{change.pk}"' not in own
    assert client.post(f"/risk/catalogue-changes/rule/{change.pk}/decide/", {"action": "approve", "reason": "mine"}).status_code == 302
    assert ControlRule.objects.get(code="terms-over-tier-max").version == 1  # refused: maker ≠ checker

    second = _client(org, "risk2", "zh-hans")
    listed = second.get(LIST).content.decode()
    assert f'data-testid="decide-{change.pk}"' in listed and "放宽" in listed
    assert second.post(f"/risk/catalogue-changes/rule/{change.pk}/decide/", {"action": "approve", "reason": ""}).status_code == 302
    assert ControlRule.objects.get(code="terms-over-tier-max").version == 1  # a decision needs its reason
    assert second.post(f"/risk/catalogue-changes/rule/{change.pk}/decide/", {"action": "approve", "reason": "已核"}).status_code == 302
    row = ControlRule.objects.get(code="terms-over-tier-max")
    assert row.version == 2 and row.params["max_days"]["medium"] == 120
    assert len(audit_events("credit.rule_change_approved")) == 1
    assert second.post(f"/risk/catalogue-changes/other/{change.pk}/decide/", {"action": "approve", "reason": "x"}).status_code == 404


def test_bad_values_are_said_on_their_fields_and_nothing_is_written(org: Org) -> None:
    client = _client(org, language="zh-hans")
    answer = client.post("/risk/control-rules/days-overdue/edit/", _rule_post(p_at="-3", checkpoints=None, reason=""))
    assert answer.status_code == 422
    text = answer.content.decode()
    assert 'data-testid="error-p_at"' in text and 'data-testid="error-checkpoints"' in text and 'data-testid="error-reason"' in text
    policy = {"model_id": "demo-retail-scorecard", "high_risk_below": "600", "low_risk_from": "500", "review_months_high": "3"}
    policy |= {"review_months_medium": "6", "review_months_low": "12", "reason": "错"}
    answer = client.post("/risk/tier-policies/default/edit/", policy)
    assert answer.status_code == 422 and "低风险阈值不能低于高风险阈值" in answer.content.decode()
    assert ControlRule.objects.get(code="days-overdue").version == 1 and TierPolicy.objects.get(code="default").version == 1
    assert not ControlRuleChange.objects.exists() and not TierPolicyChange.objects.exists()


def test_a_new_rule_picks_its_measure_first(org: Org, audit_events: Any) -> None:
    client = _client(org)
    picker = client.get("/risk/control-rules/new/")
    assert picker.status_code == 200 and b'name="measure"' in picker.content
    assert client.get("/risk/control-rules/new/?measure=sunspots").status_code == 422
    form = client.get("/risk/control-rules/new/?measure=utilisation")
    assert form.status_code == 200 and b'name="p_at"' in form.content and b'name="code"' in form.content
    answer = client.post("/risk/control-rules/new/?measure=utilisation", _rule_post(code="utilisation-high", action="warn", p_at="0.95"))
    assert answer.status_code == 302
    assert ControlRule.objects.get(code="utilisation-high").params == {"at": 0.95}
    assert len(audit_events("credit.rule_created")) == 1


def test_the_tier_policy_loosening_is_proposed(org: Org) -> None:
    values = {"model_id": "demo-retail-scorecard", "high_risk_below": "538.8", "low_risk_from": "585.3", "review_months_high": "3",
              "review_months_medium": "6", "review_months_low": "24", "reason": "低风险客户减少复核"}  # fmt: skip
    answer = _client(org).post("/risk/tier-policies/default/edit/", values)
    assert answer.status_code == 302
    change = TierPolicyChange.objects.get(code="default")
    assert change.lowers == ["review_months_low"] and TierPolicy.objects.get(code="default").review_months_low == 12
    _client(org, "risk2").post(f"/risk/catalogue-changes/policy/{change.pk}/decide/", {"action": "reject", "reason": "不同意"})
    assert TierPolicyChange.objects.get(pk=change.pk).status == "rejected" and TierPolicy.objects.get(code="default").version == 1
