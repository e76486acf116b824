"""天眼查开放平台 (Tianyancha open platform) connector.

What was found, and where (checked 2025; [V] the provider's own page, [S] two or more independent public clients
agree, [M] one source or my own knowledge — configuration, not code: see ``config.py``):

- Host ``open.api.tianyancha.com``, HTTP GET, the token in the ``Authorization`` header, no signature [S]
  (EalenXie/sdk-all ``tianyancha-sdk`` RestClient.java; the hiagent Tianyancha plugin; several project clients).
- Parameters ``keyword`` (company name, Tianyancha id, registration number or unified social credit code),
  ``pageNum`` (from 1) and ``pageSize`` (at most 20) [S] (sdk-all KeywordPageQuery.java; hiagent plugin: "每页条数
  （默认20条，最大20条）").
- Envelope ``{"error_code": 0, "reason": "ok", "result": {"total": n, "items": [...]}}`` [S]; ``error_code``
  300000 means "经查无结果" (no data), which is an empty answer, not an error [S] (hiagent plugin, tyc-cli
  README, several clients). 300005 "无权限" [S] (tyc-cli README). The remaining codes are [M]: 300001 request
  failed, 300002 account invalid, 300003 account expired, 300004 requests too frequent, 300006 balance
  exhausted, 300007 remaining calls exhausted, 300008 missing parameter, 300009 account data wrong,
  300010 URL does not exist, 300011 IP not allowed, 300012 report being generated.
- Endpoints (paths in ``config.TIANYANCHA_ENDPOINTS``) and the item fields read here:
  法律诉讼 ``/services/open/jr/lawSuit/2.0`` (open/842): ``caseno``, ``doctype``, ``casetype``, ``judgetime``,
  ``submittime``, ``id`` [S]; 被执行人 ``/services/open/jr/zhixinginfo/2.0`` (open/839): ``caseCode``,
  ``caseCreateTime``, ``execMoney`` [S], ``execCourtName`` [M]; 失信人 ``/services/open/jr/dishonest/2.0``
  (open/843): ``casecode``, ``regdate``, ``publishdate``, ``performance`` [S]; 经营异常
  ``/services/open/mr/abnormal/2.0`` (open/848): ``putDate``, ``putReason``, ``removeDate``, ``id`` [S];
  变更记录 ``/services/open/ic/changeinfo/2.0`` (open/822): ``changeItem``, ``changeTime``, ``id`` [S].
  Newer versions (``lawSuit/3.0``, ``dishonesty/3.0``, ``executedPerson/3.0``) exist [M]; switch by setting.
- Dates come as epoch milliseconds or ``YYYY-MM-DD`` strings; both are read, in China time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clientvault.risk.connectors import config
from clientvault.risk.connectors.base import Connector, Record, envelope_error
from clientvault.risk.connectors.errors import ConnectorBadResponse, ConnectorNotConfigured
from clientvault.risk.connectors.indicators import Indicator, IndicatorKind, SeverityPolicy
from clientvault.risk.connectors.mapping import FieldMap, to_indicator

NO_DATA = "300000"
AUTH_CODES = frozenset({"300002", "300003", "300005", "300009", "300011"})
RATE_CODES = frozenset({"300004"})
QUOTA_CODES = frozenset({"300006", "300007"})


class TianyanchaConnector(Connector):
    source = "tianyancha"
    prefer_uscc = True  # the credit code names exactly one company; a name may match several

    def __init__(
        self, settings: config.TianyanchaConfig, *, policy: config.TransportPolicy, severity: SeverityPolicy, **kwargs: Any
    ) -> None:
        if not settings.token:
            raise ConnectorNotConfigured(self.source)
        super().__init__(base_url=settings.base_url, endpoints=settings.endpoints, policy=policy, severity=severity, **kwargs)
        self._token = settings.token

    @classmethod
    def from_settings(cls, **kwargs: Any) -> TianyanchaConnector:
        return cls(config.tianyancha_config(), policy=config.transport_policy(), severity=config.severity_policy(), **kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self._token}

    def page_params(self, page: int, size: int) -> dict[str, str]:
        return {"pageNum": str(page), "pageSize": str(size)}

    def unwrap(self, payload: Any) -> tuple[Sequence[Record], int | None]:
        if not isinstance(payload, Mapping) or "error_code" not in payload:
            raise ConnectorBadResponse(self.source, provider_code="no_envelope")
        code = str(payload["error_code"])
        if code == NO_DATA:
            return [], 0
        if code != "0":
            raise envelope_error(self.source, code, auth=AUTH_CODES, quota=QUOTA_CODES, rate=RATE_CODES)
        result = payload.get("result")
        if result is None:
            return [], 0
        items = result.get("items", []) if isinstance(result, Mapping) else None
        if not isinstance(items, list):
            raise ConnectorBadResponse(self.source, provider_code="no_items")
        total = result.get("total") if isinstance(result, Mapping) else None
        return items, total if isinstance(total, int) and not isinstance(total, bool) else None

    def to_indicator(self, kind: IndicatorKind, record: Record) -> Indicator | None:
        return to_indicator(self, FIELDS, kind, record)


FIELDS: FieldMap = {
    IndicatorKind.JUDGEMENT: {
        "case_number": ("caseno",), "id": ("id", "uuid"), "date": ("judgetime", "submittime"),
        "doc_type": ("doctype", "title"), "case_type": ("casetype", "caseno"),
    },
    IndicatorKind.ENFORCEMENT: {"case_number": ("caseCode",), "id": ("id",), "date": ("caseCreateTime",), "amount": ("execMoney",)},
    IndicatorKind.DISHONEST_DEBTOR: {
        "case_number": ("casecode",), "id": ("id",), "date": ("regdate", "publishdate"), "performance": ("performance",),
    },
    IndicatorKind.BUSINESS_ANOMALY: {"date": ("putDate",), "removed": ("removeDate",), "reason": ("putReason",)},
    IndicatorKind.LEGAL_REP_CHANGE: {"item": ("changeItem",), "date": ("changeTime",)},
}  # fmt: skip
