"""天眼查 connector against a loopback server speaking its protocol (issue #16, external indicators)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import cast

import pytest

from clientvault.risk.connectors.config import TianyanchaConfig
from clientvault.risk.connectors.errors import (
    ConnectorAuthError,
    ConnectorBadResponse,
    ConnectorQuota,
    ConnectorRateLimited,
    ConnectorTimeout,
    ConnectorUnavailable,
)
from clientvault.risk.connectors.indicators import Indicator, IndicatorKind, Severity
from clientvault.risk.connectors.tests.loopback import PASS, LoopbackServer, Reply, json_reply
from clientvault.risk.connectors.tests.support import NAME, TOKEN, TYC, USCC, K, tianyancha

DISHONEST = TYC[K.DISHONEST_DEBTOR]


def by_kind(indicators: list[Indicator]) -> dict[IndicatorKind, list[Indicator]]:
    out: dict[IndicatorKind, list[Indicator]] = {}
    for indicator in indicators:
        out.setdefault(indicator.kind, []).append(indicator)
    return out


def test_records_become_typed_indicators_across_pages(tyc_server: LoopbackServer) -> None:
    found = by_kind(tianyancha(tyc_server.base_url).fetch(uscc=USCC, name=NAME))

    assert len(found[K.JUDGEMENT]) == 25  # two pages of 20 + 5
    first = min(found[K.JUDGEMENT], key=lambda i: i.reference)
    assert first.reference == "(2023)浙0106民初1000号"
    assert first.occurred_on == dt.date(2023, 3, 1)  # epoch milliseconds read in China time
    assert first.summary_codes == ("doc:judgement", "case:civil")
    assert first.severity is Severity.INFO and first.source == "tianyancha" and len(first.record_digest) == 64

    (enforcement,) = found[K.ENFORCEMENT]
    assert enforcement.reference == "(2024)浙0106执512号"  # full-width brackets folded
    assert enforcement.summary_codes == ("amount:1m_10m",) and enforcement.severity is Severity.WARNING

    dishonest = {i.reference: i for i in found[K.DISHONEST_DEBTOR]}
    assert set(dishonest) == {"(2024)浙0106执恢33号", "(2022)浙0106执77号"}
    assert dishonest["(2024)浙0106执恢33号"].severity is Severity.CRITICAL
    assert dishonest["(2024)浙0106执恢33号"].summary_codes == ("performance:none",)
    assert dishonest["(2022)浙0106执77号"].occurred_on == dt.date(2022, 2, 3)

    anomalies = {i.reference: i for i in found[K.BUSINESS_ANOMALY]}
    assert anomalies["anomaly:2021-07-08"].summary_codes == ("status:removed", "reason:annual_report")
    assert anomalies["anomaly:2021-07-08"].severity is Severity.INFO  # removed from the list again
    assert anomalies["anomaly:2024-09-10"].summary_codes == ("status:listed", "reason:unreachable_address")
    assert anomalies["anomaly:2024-09-10"].severity is Severity.WARNING

    (change,) = found[K.LEGAL_REP_CHANGE]  # the change of business scope is not a signal
    assert change.reference == "legal_rep:2024-08-01" and change.summary_codes == ("legal_rep_changed",)


def test_requests_carry_the_documented_auth_and_parameters(tyc_server: LoopbackServer) -> None:
    tianyancha(tyc_server.base_url).fetch(uscc=USCC, name=NAME)

    pages = tyc_server.requests_to(TYC[K.JUDGEMENT])
    assert [(r.params["pageNum"], r.params["pageSize"]) for r in pages] == [("1", "20"), ("2", "20")]
    for request in tyc_server.requests:
        assert request.headers["authorization"] == TOKEN
        assert request.params["keyword"] == USCC  # the credit code names one company; a name may not
        assert "token" not in request.params


def test_paging_is_bounded_by_max_pages(tyc_server: LoopbackServer) -> None:
    connector = tianyancha(tyc_server.base_url, max_pages=1)
    found = by_kind(connector.fetch(uscc=USCC))
    assert len(found[K.JUDGEMENT]) == 20
    assert len(tyc_server.requests_to(TYC[K.JUDGEMENT])) == 1


def test_a_wrong_token_is_the_documented_auth_error_and_not_retried(tyc_server: LoopbackServer) -> None:
    with pytest.raises(ConnectorAuthError) as caught:
        tianyancha(tyc_server.base_url, token="not-the-token").fetch(uscc=USCC)
    assert caught.value.code == "connector_auth_failed"
    assert caught.value.provider_code == "300009" and caught.value.source == "tianyancha"
    assert len(tyc_server.requests) == 1


def test_no_data_is_an_empty_answer(tyc_server: LoopbackServer) -> None:
    assert tianyancha(tyc_server.base_url).fetch(uscc="91110000MA00000000") == []
    assert len(tyc_server.requests) == 5  # one per endpoint, each answered 300000 经查无结果


def test_quota_exhausted_is_reported_without_retry(tyc_server: LoopbackServer) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], json_reply({"error_code": 300006, "reason": "余额不足", "result": None}))
    with pytest.raises(ConnectorQuota) as caught:
        tianyancha(tyc_server.base_url).fetch(uscc=USCC)
    assert (caught.value.code, caught.value.provider_code) == ("connector_quota_exceeded", "300006")
    assert len(tyc_server.requests) == 1


def test_rate_limit_is_retried_with_backoff_then_succeeds(tyc_server: LoopbackServer) -> None:
    limited = json_reply({"error_code": 300004, "reason": "访问频率过快", "result": None})
    tyc_server.provider.script(DISHONEST, limited, limited, PASS)
    connector = tianyancha(tyc_server.base_url)
    found = by_kind(connector.fetch(uscc=USCC))
    assert len(found[K.DISHONEST_DEBTOR]) == 2
    assert len(tyc_server.requests_to(DISHONEST)) == 3
    assert cast(list[float], connector._sleep) == [0.01, 0.02]  # exponential backoff, recorded by Sleeps


def test_rate_limit_that_persists_ends_after_max_attempts(tyc_server: LoopbackServer) -> None:
    limited = json_reply({"error_code": 300004, "reason": "访问频率过快", "result": None})
    tyc_server.provider.script(TYC[K.JUDGEMENT], *[limited] * 10)
    with pytest.raises(ConnectorRateLimited) as caught:
        tianyancha(tyc_server.base_url, max_attempts=4).fetch(uscc=USCC)
    assert caught.value.code == "connector_rate_limited"
    assert len(tyc_server.requests) == 4


def test_a_500_is_retried_then_the_answer_is_used(tyc_server: LoopbackServer) -> None:
    tyc_server.provider.script(DISHONEST, Reply(500, b"<html>oops</html>"), PASS)
    found = by_kind(tianyancha(tyc_server.base_url).fetch(uscc=USCC))
    assert len(found[K.DISHONEST_DEBTOR]) == 2
    assert len(tyc_server.requests_to(DISHONEST)) == 2


def test_a_lasting_outage_is_unavailable_after_bounded_attempts(tyc_server: LoopbackServer) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], *[Reply(503, b"")] * 10)
    with pytest.raises(ConnectorUnavailable) as caught:
        tianyancha(tyc_server.base_url, max_attempts=3).fetch(uscc=USCC)
    assert (caught.value.code, caught.value.provider_code) == ("connector_unavailable", "http_503")
    assert len(tyc_server.requests) == 3


def test_malformed_json_is_a_bad_response(tyc_server: LoopbackServer) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], Reply(200, b'{"error_code": 0, "result": {"items": [{"caseno": '))
    with pytest.raises(ConnectorBadResponse) as caught:
        tianyancha(tyc_server.base_url).fetch(uscc=USCC)
    assert (caught.value.code, caught.value.provider_code) == ("connector_bad_response", "not_json")


@pytest.mark.parametrize(
    ("payload", "provider_code"),
    [
        ({"status": "ok"}, "no_envelope"),
        ({"error_code": 0, "reason": "ok", "result": {"items": {"caseno": "x"}}}, "no_items"),
        ({"error_code": 0, "reason": "ok", "result": {"total": 1, "items": ["(2023)浙0106民初1号"]}}, "record_not_object"),
    ],
)
def test_json_that_is_not_the_documented_envelope_is_a_bad_response(tyc_server: LoopbackServer, payload, provider_code) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], json_reply(payload))
    with pytest.raises(ConnectorBadResponse) as caught:
        tianyancha(tyc_server.base_url).fetch(uscc=USCC)
    assert caught.value.provider_code == provider_code


def test_a_slow_answer_times_out_without_retry(tyc_server: LoopbackServer) -> None:
    tyc_server.provider.script(TYC[K.JUDGEMENT], Reply(200, b"{}", delay=1.0))
    with pytest.raises(ConnectorTimeout) as caught:
        tianyancha(tyc_server.base_url, timeout=0.2).fetch(uscc=USCC)
    assert caught.value.code == "connector_timeout"
    assert len(tyc_server.requests) == 1


def test_redirects_are_refused_so_the_token_goes_nowhere_else(tyc_server: LoopbackServer) -> None:
    elsewhere = Reply(302, b"", headers={"Location": f"{tyc_server.base_url}/elsewhere"})
    tyc_server.provider.script(TYC[K.JUDGEMENT], elsewhere)
    with pytest.raises(ConnectorUnavailable) as caught:
        tianyancha(tyc_server.base_url).fetch(uscc=USCC)
    assert caught.value.provider_code == "http_302" and not caught.value.retryable
    assert [r.path for r in tyc_server.requests] == [TYC[K.JUDGEMENT]]


def test_no_credential_or_company_identifier_reaches_the_logs(tyc_server: LoopbackServer, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    connector = tianyancha(tyc_server.base_url)
    connector.fetch(uscc=USCC, name=NAME)
    tyc_server.provider.script(TYC[K.JUDGEMENT], Reply(500, b"x"), json_reply({"error_code": 300006, "reason": "余额不足"}))
    with pytest.raises(ConnectorQuota) as caught:
        connector.fetch(uscc=USCC, name=NAME)
    with pytest.raises(ConnectorAuthError) as refused:
        tianyancha(tyc_server.base_url, token="wrong-" + TOKEN).fetch(uscc=USCC, name=NAME)

    logged = caplog.text
    assert "retry 1/2" in logged and "connector_quota_exceeded" in logged  # the logs are useful…
    for secret in (TOKEN, USCC, NAME, "urllib", "keyword="):  # …and say nothing about whom or with what
        assert secret not in logged
        for error in (caught.value, refused.value):
            assert secret not in str(error) and secret not in repr(error)
    settings = TianyanchaConfig(base_url=tyc_server.base_url, token=TOKEN, endpoints={})
    assert TOKEN not in repr(settings)
