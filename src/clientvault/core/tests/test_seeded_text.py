"""Seeded catalogue text (rule descriptions a migration wrote in English, marked with ``gettext_noop`` there) is
shown in the reader's language on every catalogue page; an officer's own text is shown as written, and saving a
form in Chinese keeps the stored English of a description nobody touched (no spurious change, rule 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from clientvault.approvals.models import ApprovalRule
from clientvault.core.catalogues import keep_seeded, seeded_text, seeded_texts, shown_initial
from clientvault.merges.models import SurvivorshipChange, SurvivorshipRule
from clientvault.risk.models import ControlRule, ControlRuleVersion
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.organisation import Org

SEEDED = "A new loan or drawdown that would take the exposure past the effective limit is refused."
ZH = "新增贷款或提款将使风险敞口超过有效额度时，予以拒绝。"


def _client(user: Any, language: str = "zh-hans") -> Client:
    client = Client()
    sign_in_verified(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_seeded_text_is_translated_and_other_text_is_not() -> None:
    with translation.override("zh-hans"):
        assert seeded_text(SEEDED) == ZH
        assert seeded_text("Our own wording, 我们自己的说明") == "Our own wording, 我们自己的说明"
        assert seeded_text("") == ""
        assert seeded_text("Approve") == "Approve"  # a catalogue string, but not a seeded one: shown as written
        assert SEEDED in seeded_texts() and len(seeded_texts()) >= 49
        assert shown_initial({"description": SEEDED, "action": "block"}) == {"description": ZH, "action": "block"}
        assert keep_seeded({"description": f"  {ZH} "}, {"description": SEEDED}) == {"description": SEEDED}
        assert keep_seeded({"description": "改写的说明"}, {"description": SEEDED}) == {"description": "改写的说明"}
        assert keep_seeded({"description": ""}, {"description": SEEDED}) == {"description": ""}  # cleared on purpose
    with translation.override("en"):
        assert seeded_text(SEEDED) == SEEDED


@pytest.mark.django_db
def test_catalogue_pages_show_seeded_descriptions_in_chinese(org: Org) -> None:
    risk = _client(org["risk"]).get("/risk/control-rules/").content.decode()
    assert ZH in risk and SEEDED not in risk
    assert _client(org["risk"], "en").get("/risk/control-rules/").content.decode().count(SEEDED) == 1
    lifecycle = _client(org["compliance"]).get("/lifecycle/rules/").content.decode()
    assert "交易记录：交易结束后 10 年（AML-34）。" in lifecycle  # was hidden in Chinese before it was translated
    approvals = _client(org["compliance"]).get("/approvals/rules/").content.decode()
    assert "新建客户记录：由合规复核。" in approvals
    merges = _client(org["compliance"]).get("/merges/rules/").content.decode()
    assert "取最后更新的记录的手机号。" in merges and "The mobile of the record updated last." not in merges


@pytest.mark.django_db
def test_an_edit_in_chinese_keeps_the_stored_english_description(org: Org, audit_events: Any) -> None:
    client = _client(org["risk"])
    form = client.get("/risk/control-rules/exposure-over-limit/edit/").content.decode()
    assert ZH in form  # the description field shows the translation
    answer = client.post(
        "/risk/control-rules/exposure-over-limit/edit/",
        {
            "action": "block",
            "checkpoints": ["new_credit", "drawdown"],
            "active": "on",
            "p_ratio": "0.9",
            "description": ZH,
            "reason": "收紧",
        },
    )
    assert answer.status_code == 302
    row = ControlRule.objects.get(code="exposure-over-limit")
    assert (row.version, row.params, row.description) == (2, {"ratio": 0.9}, SEEDED)
    [event] = audit_events("credit.rule_changed")
    assert "description" not in str(event.detail.get("fields", event.detail))
    assert ControlRuleVersion.objects.get(code="exposure-over-limit", version=2).snapshot["description"] == SEEDED


@pytest.mark.django_db
def test_an_edited_description_is_the_officers_own_text(org: Org) -> None:
    client = _client(org["risk"])
    client.post(
        "/risk/control-rules/exposure-over-limit/edit/",
        {
            "action": "block",
            "checkpoints": ["new_credit", "drawdown"],
            "active": "on",
            "p_ratio": "0.9",
            "description": "超限拒绝",
            "reason": "改写",
        },
    )
    assert ControlRule.objects.get(code="exposure-over-limit").description == "超限拒绝"
    assert "超限拒绝" in _client(org["risk"], "en").get("/risk/control-rules/").content.decode()  # as written, in any language


@pytest.mark.django_db
def test_approval_and_survivorship_forms_keep_the_seeded_english(org: Org) -> None:
    officer = _client(org["compliance"])
    assert "新建客户记录：由合规复核。" in officer.get("/approvals/rules/customers-entry-review/").content.decode()
    answer = officer.post(
        "/approvals/rules/customers-entry-review/",
        {
            "change_type": "customers.entry_review",
            "priority": "100",
            "active": "on",
            "steps": "1; compliance_officer; 1",
            "sla_working_days": "3",
            "escalate_to": ["compliance_officer"],
            "expire_after_days": "30",
            "description": "新建客户记录：由合规复核。",
            "reason": "放宽时限",
        },
    )
    assert answer.status_code == 302
    rule = ApprovalRule.objects.get(code="customers-entry-review")
    assert (rule.version, rule.sla_working_days, rule.description) == (2, 3, "A new customer record: compliance reviews it.")
    stored = SurvivorshipRule.objects.get(field="mobile").description
    officer.post(
        "/merges/rules/mobile/",
        {"rule": "most_complete", "source_order": "", "description": "取最后更新的记录的手机号。", "reason": "取最完整的记录"},
    )
    change = SurvivorshipChange.objects.get(field="mobile")
    assert change.proposed["rule"] == "most_complete" and change.proposed["description"] == stored
    assert "description" not in change.fields
