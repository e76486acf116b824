"""企查查开放平台 (Qichacha open platform, openapi.qcc.com) connector.

What was found, and where ([V] the provider's own page, [S] two or more independent public sources agree, [M] one
source or my own knowledge — configuration, not code: see ``config.py``):

- Host ``api.qichacha.com``, HTTP GET; the ``key`` (AppKey) as a query parameter; headers ``Token`` =
  upper-case hex MD5 of ``key + Timespan + SecretKey`` and ``Timespan`` = Unix time in seconds [V]
  (openapi.qcc.com/dataApi/886 "企业高级搜索": "Token … Md5(key+Timespan+SecretKey) 加密的32位大写字符串",
  "Timespan … 精确到秒的Unix时间戳"; the same in ramwin/qichacha client.py and other clients).
- Paging ``pageIndex`` (from 1) and ``pageSize`` ("默认为10，最大不超过20") [V] (same page).
- Envelope ``{"Status": "200", "Message": "查询成功", "OrderNumber": "…", "Paging": {"PageSize", "PageIndex",
  "TotalRecords"}, "Result": [...]}`` [V] (same page). ``Status`` "201" is "查询无结果" (no data) [S].
  Other codes [S] (several public clients list the provider's table): 202 bad parameters, 205 waiting,
  101 key invalid or not yet active, 102 key in arrears, 103 key suspended, 104 key abnormal, 105 endpoint
  retired, 106/108 too many illegal/abnormal requests, 107 forbidden IP or wrong signature, 109 daily system
  limit, 110 the same query failed repeatedly (wait two hours), 111 endpoint not enabled, 112 remaining
  usage exhausted or expired, 113/114 endpoint deleted/disabled, 115 authentication failed or expired,
  116 daily total limit. No code says "slow down and retry"; HTTP 429 does.
- Endpoints (paths in ``config.QICHACHA_ENDPOINTS``; the older ``V4`` family seen in public clients, [S] unless
  noted) and the fields read here: 裁判文书 ``/JudgeDocV4/SearchJudgmentDoc`` (``searchKey``): ``Id``, ``CaseNo``,
  ``CaseName``, ``CaseType`` [M], ``JudgeDate``, ``SubmitDate``; 被执行人 ``/CourtV4/SearchZhiXing``
  (``searchKey``, ``isExactlySame=true``): ``Id``, ``AnNo``, ``LiAnDate``, ``BiaoDi``; 失信被执行人
  ``/CourtV4/SearchShiXin``: ``Id``, ``AnNo``, ``LiAnDate``, ``PublicDate``, ``ExecuteStatus``; 经营异常
  ``/ECIException/GetOpException`` (``keyNo``, not paged) [M]: ``AddDate``, ``AddReason``, ``RemoveDate``;
  变更记录 ``/ECIChange/GetList`` (``searchKey``) [S] with fields ``ProjectName``, ``ChangeDate`` [M].
  The newer openapi.qcc.com catalogue may publish other paths for the same data; set them per kind.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clientvault.risk.connectors import config
from clientvault.risk.connectors.base import Connector, Record, envelope_error
from clientvault.risk.connectors.errors import ConnectorBadResponse, ConnectorNotConfigured
from clientvault.risk.connectors.indicators import Indicator, IndicatorKind, SeverityPolicy
from clientvault.risk.connectors.mapping import FieldMap, to_indicator

OK, NO_DATA = "200", "201"
AUTH_CODES = frozenset({"101", "103", "104", "107", "111", "113", "114", "115"})
QUOTA_CODES = frozenset({"102", "106", "108", "109", "110", "112", "116"})  # not retried: an operator must act
RATE_CODES: frozenset[str] = frozenset()


def sign(key: str, timespan: str, secret_key: str) -> str:
    """The documented Token: MD5(key + Timespan + SecretKey), 32 upper-case hex digits."""
    return hashlib.md5((key + timespan + secret_key).encode("utf-8"), usedforsecurity=False).hexdigest().upper()


class QichachaConnector(Connector):
    source = "qichacha"
    prefer_uscc = False  # the court searches document searchKey as the company's full name

    def __init__(
        self,
        settings: config.QichachaConfig,
        *,
        policy: config.TransportPolicy,
        severity: SeverityPolicy,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        if not settings.key or not settings.secret_key:
            raise ConnectorNotConfigured(self.source)
        super().__init__(base_url=settings.base_url, endpoints=settings.endpoints, policy=policy, severity=severity, **kwargs)
        self._key, self._secret_key, self._clock = settings.key, settings.secret_key, clock

    @classmethod
    def from_settings(cls, **kwargs: Any) -> QichachaConnector:
        return cls(config.qichacha_config(), policy=config.transport_policy(), severity=config.severity_policy(), **kwargs)

    def auth_params(self) -> dict[str, str]:
        return {"key": self._key}

    def auth_headers(self) -> dict[str, str]:
        timespan = str(int(self._clock()))
        return {"Token": sign(self._key, timespan, self._secret_key), "Timespan": timespan}

    def page_params(self, page: int, size: int) -> dict[str, str]:
        return {"pageIndex": str(page), "pageSize": str(size)}

    def unwrap(self, payload: Any) -> tuple[Sequence[Record], int | None]:
        if not isinstance(payload, Mapping) or "Status" not in payload:
            raise ConnectorBadResponse(self.source, provider_code="no_envelope")
        status = str(payload["Status"])
        if status == NO_DATA:
            return [], 0
        if status != OK:
            raise envelope_error(self.source, status, auth=AUTH_CODES, quota=QUOTA_CODES, rate=RATE_CODES)
        result = payload.get("Result")
        if result is None:
            return [], 0
        if not isinstance(result, list):
            raise ConnectorBadResponse(self.source, provider_code="no_items")
        paging = payload.get("Paging")
        total = paging.get("TotalRecords") if isinstance(paging, Mapping) else None
        return result, total if isinstance(total, int) and not isinstance(total, bool) else None

    def to_indicator(self, kind: IndicatorKind, record: Record) -> Indicator | None:
        return to_indicator(self, FIELDS, kind, record)


FIELDS: FieldMap = {
    IndicatorKind.JUDGEMENT: {
        "case_number": ("CaseNo",), "id": ("Id",), "date": ("JudgeDate", "SubmitDate"),
        "doc_type": ("CaseName",), "case_type": ("CaseType", "CaseNo"),
    },
    IndicatorKind.ENFORCEMENT: {
        "case_number": ("AnNo", "Anno"), "id": ("Id",), "date": ("LiAnDate", "Liandate"), "amount": ("BiaoDi", "Biaodi"),
    },
    IndicatorKind.DISHONEST_DEBTOR: {
        "case_number": ("AnNo", "Anno"), "id": ("Id",), "date": ("LiAnDate", "Liandate", "PublicDate", "Publicdate"),
        "performance": ("ExecuteStatus", "Executestatus"),
    },
    IndicatorKind.BUSINESS_ANOMALY: {"date": ("AddDate",), "removed": ("RemoveDate",), "reason": ("AddReason",)},
    IndicatorKind.LEGAL_REP_CHANGE: {"item": ("ProjectName",), "date": ("ChangeDate",)},
}  # fmt: skip
