"""The registry: configured connectors only, one merged answer, clear failures (issue #16)."""

from __future__ import annotations

import pytest

from clientvault.risk.connectors import registry
from clientvault.risk.connectors.errors import ConnectorNotConfigured, ConnectorQuota, InvalidCompanyQuery
from clientvault.risk.connectors.indicators import Severity
from clientvault.risk.connectors.qichacha import QichachaConnector
from clientvault.risk.connectors.tests.loopback import json_reply
from clientvault.risk.connectors.tests.support import NAME, QCC_KEY, QCC_SECRET, TOKEN, TYC, USCC, K, qichacha, tianyancha
from clientvault.risk.connectors.tianyancha import TianyanchaConnector


def test_indicators_from_both_sources_are_merged_by_kind_and_reference(tyc_server, qcc_server) -> None:
    connectors = [tianyancha(tyc_server.base_url), qichacha(qcc_server.base_url)]
    found = registry.fetch_indicators(USCC, NAME, connectors=connectors)

    keys = [i.key for i in found]
    assert len(keys) == len(set(keys))
    # "（2024）浙0106执恢33号" (天眼查) and "(2024)浙0106执恢33号" (企查查) are one case.
    (dishonest,) = [i for i in found if i.key == (K.DISHONEST_DEBTOR, "(2024)浙0106执恢33号")]
    assert dishonest.source == "tianyancha" and dishonest.severity is Severity.CRITICAL
    assert (K.JUDGEMENT, "(2023)浙0106民初1000号") in keys  # reported by both, kept once
    assert (K.ENFORCEMENT, "(2024)浙0106执900号") in keys  # only 企查查 knows it
    assert sum(1 for i in found if i.kind is K.LEGAL_REP_CHANGE) == 1  # same date from both
    assert len(found) == 25 + 2 + 2 + 2 + 1  # tianyancha's 31 plus 企查查's extra enforcement


def test_the_highest_severity_of_a_duplicate_wins(tyc_server, qcc_server) -> None:
    tyc_server.provider.data[TYC[K.BUSINESS_ANOMALY]][USCC][1]["removeDate"] = "2024-12-01"  # 天眼查: removed again
    found = registry.fetch_indicators(USCC, NAME, connectors=[tianyancha(tyc_server.base_url), qichacha(qcc_server.base_url)])
    (anomaly,) = [i for i in found if i.key == (K.BUSINESS_ANOMALY, "anomaly:2024-09-10")]
    assert anomaly.source == "tianyancha" and anomaly.severity is Severity.WARNING  # 企查查 still lists it


def test_one_failing_source_does_not_hide_the_other(tyc_server, qcc_server) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], json_reply({"error_code": 300007, "reason": "剩余次数不足", "result": None}))
    connectors = [tianyancha(tyc_server.base_url), qichacha(qcc_server.base_url)]
    outcome = registry.collect_indicators(USCC, NAME, connectors=connectors)
    assert outcome.succeeded == ["qichacha"]
    assert outcome.failures["tianyancha"].code == "connector_quota_exceeded"
    assert {i.source for i in outcome.indicators} == {"qichacha"} and len(outcome.indicators) == 5


def test_when_every_source_fails_the_failure_is_raised(tyc_server) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], json_reply({"error_code": 300006, "reason": "余额不足", "result": None}))
    with pytest.raises(ConnectorQuota):
        registry.fetch_indicators(USCC, NAME, connectors=[tianyancha(tyc_server.base_url)])


def test_settings_decide_which_connectors_exist(settings, tyc_server, qcc_server) -> None:
    settings.CLIENTVAULT_TIANYANCHA = {"base_url": tyc_server.base_url, "token": TOKEN}
    settings.CLIENTVAULT_QICHACHA = {"base_url": qcc_server.base_url, "key": QCC_KEY}  # no secret: not configured
    settings.CLIENTVAULT_RISK_CONNECTORS = {"timeout": 2, "severity": {"judgement": "warning"}}
    (only,) = registry.configured_connectors()
    assert isinstance(only, TianyanchaConnector)
    found = registry.fetch_indicators(USCC, None)
    assert {i.severity for i in found if i.kind is K.JUDGEMENT} == {Severity.WARNING}
    assert qcc_server.connections == 0
    with pytest.raises(ConnectorNotConfigured) as caught:
        QichachaConnector.from_settings()
    assert caught.value.code == "connector_not_configured" and caught.value.source == "qichacha"


def test_an_unconfigured_connector_makes_no_connection_at_all(settings, tyc_server, qcc_server) -> None:
    settings.CLIENTVAULT_TIANYANCHA = {"base_url": tyc_server.base_url}  # an address, but no token
    settings.CLIENTVAULT_QICHACHA = {"base_url": qcc_server.base_url, "secret_key": QCC_SECRET}
    assert registry.configured_connectors() == []
    with pytest.raises(ConnectorNotConfigured):
        TianyanchaConnector.from_settings()
    with pytest.raises(ConnectorNotConfigured):
        registry.fetch_indicators(USCC, NAME)
    assert tyc_server.connections == 0 and qcc_server.connections == 0


@pytest.mark.parametrize(
    ("uscc", "name", "field"),
    [
        (None, None, "uscc"),
        ("", "  ", "name"),
        ("91330106MA2CFP7T8", NAME, "uscc"),  # 17 characters
        ("91330106MA2CFP7T8I", None, "uscc"),  # I is not in the GB 32100 alphabet
        (None, "公", "name"),
        (None, "杭州\x00示例", "name"),
        (12345, None, "uscc"),
    ],
)
def test_bad_identifiers_are_refused_before_any_connection(tyc_server, uscc, name, field) -> None:
    with pytest.raises(InvalidCompanyQuery) as caught:
        registry.fetch_indicators(uscc, name, connectors=[tianyancha(tyc_server.base_url)])
    assert caught.value.code == "connector_invalid_query" and field in caught.value.as_dict()
    if isinstance(uscc, str) and uscc:
        assert uscc not in str(caught.value.as_dict()) and uscc not in str(caught.value)  # input is never echoed
    assert tyc_server.connections == 0


def test_full_width_credit_code_is_normalised(tyc_server) -> None:
    found = tianyancha(tyc_server.base_url).fetch(uscc="９１３３０１０６ma2cfp7t8k")
    assert found and tyc_server.requests[0].params["keyword"] == USCC
