"""External indicators against the loopback 天眼查 / 企查查 servers (issue #16; no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clientvault.core.context import system_context
from clientvault.customers.choices import Kind
from clientvault.risk import external, vault
from clientvault.risk.connectors.tests.loopback import FakeQichacha, FakeTianyancha, LoopbackServer, json_reply
from clientvault.risk.connectors.tests.support import (
    NAME,
    QCC,
    QCC_KEY,
    QCC_SECRET,
    TOKEN,
    TYC,
    USCC,
    K,
    qichacha,
    qichacha_data,
    tianyancha,
    tianyancha_data,
)
from clientvault.risk.models import CreditHold, CreditReview, EarlyWarning
from clientvault.risk.tests.test_warnings import rows
from clientvault.testing.credit import credit_file
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tyc() -> Iterator[LoopbackServer]:
    with LoopbackServer(FakeTianyancha(TOKEN, tianyancha_data(lawsuit_count=3))) as server:
        yield server


@pytest.fixture
def qcc() -> Iterator[LoopbackServer]:
    provider = FakeQichacha(QCC_KEY, QCC_SECRET, qichacha_data(), unpaged=frozenset({QCC[K.BUSINESS_ANOMALY]}))
    with LoopbackServer(provider) as server:
        yield server


@pytest.fixture
def company(org: Any) -> Any:
    c = customer(org["rep_bj1"], kind=Kind.ORGANISATION, name=NAME, uscc=USCC)
    return c, credit_file(c)


@pytest.fixture
def person(org: Any) -> Any:
    c = customer(org["rep_bj1"], name="王小明")
    return c, credit_file(c)


def test_an_organisation_is_looked_up_and_its_findings_become_warnings(
    tyc: LoopbackServer, qcc: LoopbackServer, company: Any, person: Any, audit_events: Any
) -> None:
    c, f = company
    outcome = external.scan(system_context(channel="task"), connectors=[tianyancha(tyc.base_url), qichacha(qcc.base_url)])
    assert (outcome.skipped, outcome.checked, outcome.failed) == (False, 1, {})
    found = rows(EarlyWarning, credit_file=f)
    # 天眼查: 3 judgements, 1 enforcement, 2 dishonest, 2 anomalies, 1 rep change; 企查查 adds 1 enforcement.
    assert outcome.raised == len(found) == 3 + 1 + 2 + 2 + 1 + 1
    assert {w.source for w in found} == {"tianyancha", "qichacha"}
    # References are digests, never the case number; the case number is in the sealed evidence.
    assert all(len(w.reference) == 64 and "浙" not in w.reference for w in found)
    (dishonest,) = [w for w in found if w.kind == "dishonest_debtor" and w.severity == "critical"][:1]
    evidence = vault.open_json(dishonest, "evidence", customer_id=c.pk)["facts"]
    assert evidence["provider"] in {"tianyancha", "qichacha"} and "执" in evidence["case_reference"]
    # Critical (失信被执行人): a forced hold and a review each.
    criticals = [w for w in found if w.severity == "critical"]
    assert len(rows(CreditHold, credit_file=f, kind="forced")) == len(criticals) == len(rows(CreditReview, credit_file=f, kind="warning"))
    # PIPL-23: the person's name never left the machine.
    sent = [r.params for r in tyc.requests + qcc.requests]
    assert all("王小明" not in str(p) for p in sent) and any(USCC in str(p) for p in sent)
    [event] = audit_events("credit.external_check")
    assert event.customer_id == c.pk and event.fields == ["name", "uscc"] and NAME not in str(event.detail)
    assert event.detail["sources"] == ["qichacha", "tianyancha"] and event.detail["raised"] == outcome.raised


def test_a_second_scan_raises_nothing_new(tyc: LoopbackServer, company: Any) -> None:
    _c, f = company
    first = external.scan(system_context(), connectors=[tianyancha(tyc.base_url)])
    again = external.scan(system_context(), connectors=[tianyancha(tyc.base_url)])
    assert first.raised > 0 and again.raised == 0 and len(rows(EarlyWarning, credit_file=f)) == first.raised


def test_provider_errors_are_recorded_per_customer_and_the_scan_goes_on(
    tyc: LoopbackServer, qcc: LoopbackServer, company: Any, org: Any, audit_events: Any
) -> None:
    other = customer(org["rep_sh"], kind=Kind.ORGANISATION, name="另一家有限公司")
    credit_file(other)
    tyc.provider.script(TYC[K.JUDGEMENT], json_reply({"error_code": 300007, "reason": "剩余次数不足", "result": None}))
    outcome = external.scan(system_context(), connectors=[tianyancha(tyc.base_url), qichacha(qcc.base_url)])
    assert outcome.checked == 2
    codes = {str(k): v for k, v in outcome.failed.items()}
    assert "connector_quota_exceeded" in next(iter(codes.values()))
    events = audit_events("credit.external_check")
    assert len(events) == 2 and any("connector_quota_exceeded" in e.detail["error_codes"] for e in events)
    assert all(e.outcome == "success" for e in events)  # 企查查 still answered for both


def test_every_source_failing_is_a_failed_check(tyc: LoopbackServer, company: Any, audit_events: Any) -> None:
    c, f = company
    tyc.provider.script(TYC[K.JUDGEMENT], json_reply({"error_code": 300006, "reason": "余额不足", "result": None}))
    outcome = external.scan(system_context(), connectors=[tianyancha(tyc.base_url)])
    assert outcome.failed == {c.pk: ["connector_quota_exceeded"]} and rows(EarlyWarning, credit_file=f) == []
    [event] = audit_events("credit.external_check")
    assert event.outcome == "failed"


def test_unconfigured_connectors_send_nothing_and_the_job_says_it_skipped(
    settings: Any, tyc: LoopbackServer, company: Any, audit_events: Any
) -> None:
    settings.CLIENTVAULT_TIANYANCHA = {"base_url": tyc.base_url}  # an address but no token: not configured
    settings.CLIENTVAULT_QICHACHA = {}
    outcome = external.scan(system_context(channel="task"))
    assert outcome.skipped and outcome.checked == 0 and tyc.connections == 0
    [event] = audit_events("credit.external_check")
    assert event.detail == {"skipped": True, "reason": "not_configured"}


def test_configured_by_settings(settings: Any, tyc: LoopbackServer, company: Any) -> None:
    settings.CLIENTVAULT_TIANYANCHA = {"base_url": tyc.base_url, "token": TOKEN}
    settings.CLIENTVAULT_RISK_CONNECTORS = {"timeout": 2, "max_attempts": 1}
    outcome = external.scan(system_context(channel="task"))
    assert outcome.checked == 1 and outcome.raised > 0 and tyc.connections > 0


def test_an_individual_is_never_sent(tyc: LoopbackServer, person: Any) -> None:
    c, f = person
    assert external.check_customer(system_context(), f.pk, c.pk, [tianyancha(tyc.base_url)]) == (0, [])
    assert tyc.connections == 0


def test_a_restricted_organisation_is_not_sent(tyc: LoopbackServer, company: Any) -> None:
    from clientvault.core import clock
    from clientvault.customers.models import Customer

    c, _f = company
    Customer.objects.unrestricted(reason="test setup").filter(pk=c.pk).update(restricted_at=clock.now(), restriction_basis="request")
    outcome = external.scan(system_context(), connectors=[tianyancha(tyc.base_url)])
    assert outcome.checked == 0 and tyc.connections == 0  # PIPL-47: stored only
