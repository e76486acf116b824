"""企查查 connector against a loopback server that checks the documented Token/Timespan signature (issue #16)."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest

from clientvault.risk.connectors.errors import ConnectorAuthError, ConnectorQuota, ConnectorRateLimited, ConnectorUnavailable
from clientvault.risk.connectors.indicators import Severity
from clientvault.risk.connectors.tests.loopback import PASS, LoopbackServer, Reply
from clientvault.risk.connectors.tests.support import NAME, QCC, QCC_KEY, QCC_SECRET, USCC, K, qichacha


def test_signed_requests_return_typed_indicators(qcc_server: LoopbackServer) -> None:
    found = {i.kind: i for i in qichacha(qcc_server.base_url).fetch(uscc=USCC, name=NAME)}

    assert found[K.DISHONEST_DEBTOR].reference == "(2024)浙0106执恢33号"
    assert found[K.DISHONEST_DEBTOR].severity is Severity.CRITICAL
    assert found[K.DISHONEST_DEBTOR].occurred_on == dt.date(2024, 6, 1)
    assert found[K.ENFORCEMENT].summary_codes == ("amount:ge_10m",)  # "1.799E+7" read as a number
    assert found[K.JUDGEMENT].summary_codes == ("doc:judgement", "case:civil")
    assert found[K.BUSINESS_ANOMALY].reference == "anomaly:2024-09-10"
    assert found[K.LEGAL_REP_CHANGE].reference == "legal_rep:2024-08-01"
    assert all(i.source == "qichacha" for i in found.values())


def test_each_request_carries_key_token_and_timespan_as_documented(qcc_server: LoopbackServer) -> None:
    qichacha(qcc_server.base_url).fetch(uscc=USCC, name=NAME)
    assert len(qcc_server.requests) == 5
    for request in qcc_server.requests:
        assert request.params["key"] == QCC_KEY
        assert abs(int(request.headers["timespan"]) - time.time()) < 60
        assert len(request.headers["token"]) == 32 and request.headers["token"].isupper()
        assert QCC_SECRET not in str(request)  # the secret only ever travels inside the digest
    anomaly = qcc_server.requests_to(QCC[K.BUSINESS_ANOMALY])[0]
    assert anomaly.params["keyNo"] == NAME and "pageIndex" not in anomaly.params
    shixin = qcc_server.requests_to(QCC[K.DISHONEST_DEBTOR])[0]
    assert shixin.params["searchKey"] == NAME and shixin.params["isExactlySame"] == "true"
    assert (shixin.params["pageIndex"], shixin.params["pageSize"]) == ("1", "20")


@pytest.mark.parametrize(
    ("kwargs", "provider_code"),
    [({"secret_key": "wrong-secret"}, "107"), ({"key": "unknown-key"}, "101"), ({"clock": lambda: time.time() - 3600}, "107")],
    ids=["wrong secret", "wrong key", "stale timespan"],
)
def test_bad_credentials_are_the_documented_auth_errors(qcc_server: LoopbackServer, kwargs, provider_code) -> None:
    with pytest.raises(ConnectorAuthError) as caught:
        qichacha(qcc_server.base_url, **kwargs).fetch(name=NAME)
    assert (caught.value.code, caught.value.provider_code, caught.value.source) == ("connector_auth_failed", provider_code, "qichacha")
    assert len(qcc_server.requests) == 1


def test_no_data_is_an_empty_answer(qcc_server: LoopbackServer) -> None:
    assert qichacha(qcc_server.base_url).fetch(name="宁波无记录贸易有限公司") == []


@pytest.mark.parametrize("status", ["102", "112"])
def test_arrears_and_exhausted_usage_are_quota_errors(qcc_server: LoopbackServer, status: str) -> None:
    qcc_server.provider.script(QCC[K.JUDGEMENT], Reply(200, f'{{"Status": "{status}", "Message": "x"}}'.encode()))
    with pytest.raises(ConnectorQuota) as caught:
        qichacha(qcc_server.base_url).fetch(name=NAME)
    assert (caught.value.code, caught.value.provider_code) == ("connector_quota_exceeded", status)
    assert len(qcc_server.requests) == 1


def test_http_429_is_retried_and_each_attempt_is_signed_afresh(qcc_server: LoopbackServer) -> None:
    path = QCC[K.DISHONEST_DEBTOR]
    qcc_server.provider.script(path, Reply(429, b""), PASS)
    start = int(time.time())
    ticks = iter(range(start, start + 100))  # one second later on every call
    found = qichacha(qcc_server.base_url, clock=lambda: float(next(ticks))).fetch(name=NAME)
    first, second = qcc_server.requests_to(path)
    assert int(second.headers["timespan"]) > int(first.headers["timespan"])
    assert second.headers["token"] != first.headers["token"]
    assert any(i.kind is K.DISHONEST_DEBTOR for i in found)


def test_a_lasting_429_is_rate_limited(qcc_server: LoopbackServer) -> None:
    qcc_server.provider.script(QCC[K.JUDGEMENT], *[Reply(429, b"")] * 5)
    with pytest.raises(ConnectorRateLimited):
        qichacha(qcc_server.base_url, max_attempts=2).fetch(name=NAME)
    assert len(qcc_server.requests) == 2


def test_unknown_status_is_the_providers_failure(qcc_server: LoopbackServer) -> None:
    qcc_server.provider.script(QCC[K.JUDGEMENT], Reply(200, '{"Status": "205", "Message": "等待处理中"}'.encode()))
    with pytest.raises(ConnectorUnavailable) as caught:
        qichacha(qcc_server.base_url).fetch(name=NAME)
    assert caught.value.provider_code == "205" and not caught.value.retryable


def test_secret_key_and_company_never_logged(qcc_server: LoopbackServer, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    qichacha(qcc_server.base_url).fetch(uscc=USCC, name=NAME)
    with pytest.raises(ConnectorAuthError):
        qichacha(qcc_server.base_url, secret_key="wrong-" + QCC_SECRET).fetch(name=NAME)
    assert "qichacha: 5 indicators" in caplog.text
    for secret in (QCC_KEY, QCC_SECRET, NAME, USCC, "Token", "searchKey"):
        assert secret not in caplog.text
