"""The explanation of processing (PIPL-48, GDPR-15(1)): purposes and bases, categories, consents, retention,
recipients, automated decisions, sources and rights — in zh-Hans and en, audited, nothing decrypted into it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from clientvault.core import automated_decisions
from clientvault.core.context import system_context
from clientvault.core.errors import NotFound
from clientvault.crypto import keystore
from clientvault.customers.shredding import shred_customer
from clientvault.rights import explanation, package
from clientvault.rights.tests.test_package import _rich
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

CODES = ["purposes", "categories", "consents", "retention", "recipients", "automated_decisions", "sources", "rights"]


def _section(e: explanation.Explanation, code: str) -> tuple[Mapping[str, Any], ...]:
    found = e.section(code)
    assert found is not None, code
    return found.rows


def test_the_explanation_covers_pipl_48_in_both_languages(org: Org, audit_events: Any) -> None:
    c = _rich(org)
    consent(c, "partner_sharing")
    before = len(audit_events())
    zh = explanation.explain_processing(subject_ctx(c), c.pk, "zh-hans")
    [event] = audit_events()[before:]
    assert event.event_type == "rights.processing_explained" and event.customer_id == c.pk and event.detail["sections"] == CODES
    assert [s.code for s in zh.sections] == CODES
    purposes = {r["purpose"]: r for r in _section(zh, "purposes")}
    assert purposes["marketing"]["needs_consent"] is True and purposes["marketing"]["applies"] is True
    assert purposes["sales_followup"]["name"] == "销售跟进" and purposes["sales_followup"]["times_used"] >= 1
    assert purposes["cross_border_transfer"]["applies"] is False  # never consented
    categories = {r["category"]: r for r in _section(zh, "categories")}
    assert {"identity", "contact", "behaviour", "financial_account"} <= set(categories)
    assert categories["identity"]["sensitive"] is True  # the ID number
    recipients = _section(zh, "recipients")
    assert [r["recipient"] for r in recipients] == ["合作银行"]
    assert _section(zh, "automated_decisions") == () and zh.section("automated_decisions").note  # type: ignore[union-attr]
    assert {r["right"] for r in _section(zh, "rights")} >= {"access", "portability", "correction", "deletion", "explanation"}
    retention = _section(zh, "retention")
    assert any("1095" in str(r["period"]) for r in retention)  # the privacy notice's period
    text = json.dumps(package.as_document(zh), ensure_ascii=False)
    assert c.id_number not in text and "张三丰" not in text  # explains the processing; reveals no value
    en = explanation.explain_processing(subject_ctx(c), c.pk, "en")
    assert {r["purpose"]: r["name"] for r in _section(en, "purposes")}["sales_followup"] == "Sales follow-up"
    assert json.loads(package.render_json(en))["schema"] == "clientvault.processing-explanation/1"
    assert package.render_pdf(en).startswith(b"%PDF-")


def test_registered_automated_decisions_are_explained(org: Org) -> None:
    c = customer(org["rep_bj1"])

    def scorecard(customer_id: uuid.UUID, language: str) -> list[automated_decisions.AutomatedDecision]:
        if customer_id != c.pk:
            return []
        return [automated_decisions.AutomatedDecision("credit.score", "信用评分", "评分卡", "影响额度", "可申请人工复核")]

    automated_decisions.register("test.scorecard", scorecard)
    try:
        e = explanation.explain_processing(subject_ctx(c), c.pk, "zh-hans")
        [row] = _section(e, "automated_decisions")
        assert row["code"] == "credit.score" and row["human_review"] == "可申请人工复核"
        other = customer(org["rep_bj1"])
        assert _section(explanation.explain_processing(subject_ctx(other), other.pk, "zh-hans"), "automated_decisions") == ()
    finally:
        automated_decisions._PROVIDERS.pop("test.scorecard")


def test_retention_comes_from_the_lifecycle_rules_when_present(org: Org) -> None:
    lifecycle_selectors = pytest.importorskip("clientvault.lifecycle.selectors", reason="lifecycle.selectors is another slice")
    if not hasattr(lifecycle_selectors, "retention_summary"):
        pytest.skip("lifecycle.selectors.retention_summary is provided by the lifecycle slice (issue #15), not merged here yet")
    c = _rich(org)
    expected = lifecycle_selectors.retention_summary(c.pk)
    rows = [r for r in _section(explanation.explain_processing(subject_ctx(c), c.pk, "en"), "retention") if r["category"]]
    assert len(rows) == len(expected) and all(r["period"] for r in rows)


def test_who_may_ask_and_an_erased_customer(org: Org) -> None:
    c = _rich(org)
    with pytest.raises(NotFound):
        explanation.explain_processing(ctx(org["rep_other"], purpose="rights_request"), c.pk, "en")
    assert explanation.explain_processing(ctx(org["compliance"], purpose="rights_request"), c.pk, "en").customer_id == c.pk
    shred_customer(ctx=system_context(), customer_id=c.pk)
    keystore.finish_pending_destructions()
    with pytest.raises(NotFound):
        explanation.explain_processing(subject_ctx(c), c.pk, "zh-hans")
