"""Pure parts: dates, case numbers, bands, severity mapping and the settings reader (no network, no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from clientvault.risk.connectors import config, records
from clientvault.risk.connectors.indicators import IndicatorKind, Severity


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_688_140_800_000, dt.date(2023, 7, 1)),  # epoch ms, midnight in China (16:00 UTC the day before)
        ("1688140800000", dt.date(2023, 7, 1)),
        (1_688_140_800, dt.date(2023, 7, 1)),  # epoch seconds
        ("2017-06-16 12:00:00", dt.date(2017, 6, 16)),
        ("2017/6/1", dt.date(2017, 6, 1)),
        ("2017年06月01日", dt.date(2017, 6, 1)),
        ("0001-01-01T00:00:00", None),
        ("2017-02-30", None),
        ("", None),
        (None, None),
        (True, None),
        ("详见判决书", None),
    ],
)
def test_dates_in_the_providers_shapes(value, expected) -> None:
    assert records.parse_date(value) == expected


def test_case_numbers_are_spelled_one_way() -> None:
    assert records.normalise_case_number("（2017）豫1628执 798号") == "(2017)豫1628执798号"
    assert records.normalise_case_number("〔2017〕豫1628执798号") == "(2017)豫1628执798号"


@pytest.mark.parametrize(
    ("raw", "band"),
    [(None, "amount:unknown"), ("详见判决书", "amount:unknown"), (99_999, "amount:lt_100k"), ("23.6万 ", "amount:100k_1m"),
     ("2,500,000元", "amount:1m_10m"), ("1.799E+7", "amount:ge_10m"), ("1.2亿", "amount:ge_10m")],
)  # fmt: skip
def test_amount_bands(raw, band) -> None:
    assert records.amount_band(raw) == band


def test_classification_codes() -> None:
    assert records.case_type("(2017)豫1628执798号") == "case:enforcement"
    assert records.case_type("(2020)京0105行初12号") == "case:administrative"
    assert records.case_type("刑事案件") == "case:criminal"
    assert records.doc_type("执行裁定书") == "doc:ruling"
    assert records.performance("部分未履行") == "performance:partial"
    assert records.anomaly_reason("提交虚假材料，弄虚作假") == "reason:false_information"
    assert records.is_legal_rep_change("负责人变更（法定代表人、负责人、首席代表、合伙事务执行人等变更）")
    assert not records.is_legal_rep_change("注册资本变更")


def test_digest_is_stable_over_key_order() -> None:
    assert records.record_digest({"a": 1, "b": "二"}) == records.record_digest({"b": "二", "a": 1})


def test_severity_mapping_is_configurable(settings) -> None:
    assert config.severity_policy().severity_for(IndicatorKind.DISHONEST_DEBTOR) is Severity.CRITICAL
    settings.CLIENTVAULT_RISK_CONNECTORS = {"severity": {"enforcement": "critical", "business_anomaly:reason:annual_report": "info"}}
    policy = config.severity_policy()
    assert policy.severity_for(IndicatorKind.ENFORCEMENT) is Severity.CRITICAL
    assert policy.severity_for(IndicatorKind.BUSINESS_ANOMALY, ["status:listed", "reason:annual_report"]) is Severity.INFO
    assert policy.severity_for(IndicatorKind.BUSINESS_ANOMALY, ["status:listed", "reason:other"]) is Severity.WARNING


def test_endpoints_can_be_moved_or_switched_off(settings) -> None:
    settings.CLIENTVAULT_TIANYANCHA = {
        "token": "t",
        "endpoints": {"dishonest_debtor": {"path": "/services/open/jr/dishonesty/3.0"}, "legal_rep_change": None},
    }
    endpoints = config.tianyancha_config().endpoints
    assert endpoints[IndicatorKind.DISHONEST_DEBTOR].path == "/services/open/jr/dishonesty/3.0"
    assert endpoints[IndicatorKind.DISHONEST_DEBTOR].keyword_param == "keyword"
    assert IndicatorKind.LEGAL_REP_CHANGE not in endpoints


def read_all_settings() -> None:
    config.tianyancha_config()
    config.qichacha_config()
    config.transport_policy()
    config.severity_policy()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CLIENTVAULT_TIANYANCHA", {"token": "t", "base_url": "file:///etc/passwd"}, "http(s) URL"),
        ("CLIENTVAULT_TIANYANCHA", {"token": 12345}, "must be a string"),
        ("CLIENTVAULT_QICHACHA", {"endpoints": {"lawsuits": {"path": "/x"}}}, "unknown kind"),
        ("CLIENTVAULT_QICHACHA", {"endpoints": {"judgement": {"path": "no-slash"}}}, "starting with '/'"),
        ("CLIENTVAULT_RISK_CONNECTORS", {"timeout": "soon"}, "not a number"),
        ("CLIENTVAULT_RISK_CONNECTORS", {"max_attempts": 0}, "max_attempts >= 1"),
        ("CLIENTVAULT_RISK_CONNECTORS", {"page_size": 50}, "1 <= page_size <= 20"),
        ("CLIENTVAULT_RISK_CONNECTORS", {"severity": {"dishonest_debtor": "urgent"}}, "info, warning or critical"),
        ("CLIENTVAULT_RISK_CONNECTORS", {"severity": {"weather": "info"}}, "unknown kind"),
    ],
)
def test_misconfiguration_is_refused_clearly(settings, name, value, message) -> None:
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        read_all_settings()
    assert "12345" not in str(caught.value)
