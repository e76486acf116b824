"""Test data and builders for the connector tests (synthetic companies; nothing real)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientvault.risk.connectors import config
from clientvault.risk.connectors.config import Endpoint, QichachaConfig, TianyanchaConfig, TransportPolicy
from clientvault.risk.connectors.indicators import DEFAULT_SEVERITIES, IndicatorKind, SeverityPolicy
from clientvault.risk.connectors.qichacha import QichachaConnector
from clientvault.risk.connectors.tianyancha import TianyanchaConnector

USCC = "91330106MA2CFP7T8K"
NAME = "杭州示例科技有限公司"
TOKEN = "tyc-token-5f1e0c1d-secret"
QCC_KEY = "qcc-appkey-0a9b8c7d"
QCC_SECRET = "qcc-secret-key-77aa66bb"

K = IndicatorKind
TYC = {kind: endpoint.path for kind, endpoint in config.TIANYANCHA_ENDPOINTS.items()}
QCC = {kind: endpoint.path for kind, endpoint in config.QICHACHA_ENDPOINTS.items()}


def epoch_ms(day: dt.date) -> int:
    """Midnight in China, as 天眼查 sends dates."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp() * 1000)


def lawsuits(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(9000 + i),
            "caseno": f"(2023)浙0106民初{1000 + i}号",
            "doctype": "判决书",
            "casetype": "民事案件",
            "judgetime": epoch_ms(dt.date(2023, 3, 1) + dt.timedelta(days=i)),
            "title": f"某某与{NAME}买卖合同纠纷一审民事判决书",
        }
        for i in range(count)
    ]


def tianyancha_data(*, lawsuit_count: int = 25) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {
        TYC[K.JUDGEMENT]: {USCC: lawsuits(lawsuit_count)},
        TYC[K.ENFORCEMENT]: {
            USCC: [{"caseCode": "（2024）浙0106执512号", "caseCreateTime": epoch_ms(dt.date(2024, 5, 6)), "execMoney": "250万"}]
        },
        TYC[K.DISHONEST_DEBTOR]: {
            USCC: [
                {
                    "casecode": "（2024）浙0106执恢33号",
                    "regdate": epoch_ms(dt.date(2024, 6, 1)),
                    "performance": "全部未履行",
                    "iname": NAME,
                },
                {"casecode": "(2022)浙0106执77号", "regdate": "2022-02-03", "performance": "部分未履行"},
            ]
        },
        TYC[K.BUSINESS_ANOMALY]: {
            USCC: [
                {
                    "id": 1,
                    "putDate": "2021-07-08",
                    "putReason": "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告的",
                    "removeDate": "2022-01-29",
                    "removeReason": "补报",
                },
                {"id": 2, "putDate": "2024-09-10", "putReason": "通过登记的住所或者经营场所无法联系的"},
            ]
        },
        TYC[K.LEGAL_REP_CHANGE]: {
            USCC: [
                {
                    "id": 11,
                    "changeItem": "法定代表人(负责人)变更",
                    "changeTime": "2024-08-01",
                    "contentBefore": "张三",
                    "contentAfter": "李四",
                },
                {"id": 12, "changeItem": "经营范围变更", "changeTime": "2024-08-02", "contentBefore": "a", "contentAfter": "b"},
            ]
        },
    }


def qichacha_data() -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {
        QCC[K.JUDGEMENT]: {
            NAME: [
                {
                    "Id": "j1",
                    "CaseNo": "（2023）浙0106民初1000号",
                    "CaseName": "买卖合同纠纷一审民事判决书",
                    "JudgeDate": "2023-03-01 00:00:00",
                }
            ]
        },
        QCC[K.ENFORCEMENT]: {NAME: [{"Id": "z1", "AnNo": "(2024)浙0106执900号", "LiAnDate": "2024-07-01 12:00:00", "BiaoDi": "1.799E+7"}]},
        QCC[K.DISHONEST_DEBTOR]: {
            NAME: [
                {
                    "Id": "s1",
                    "AnNo": "(2024)浙0106执恢33号",
                    "LiAnDate": "2024-06-01 12:00:00",
                    "ExecuteStatus": "全部未履行",
                    "OwnerName": "张三",
                    "PublicDate": "2024-06-20 12:00:00",
                }
            ]
        },
        QCC[K.BUSINESS_ANOMALY]: {
            NAME: [{"AddDate": "2024-09-10 12:00:00", "AddReason": "通过登记的住所或者经营场所无法联系的", "DecisionOffice": "某局"}]
        },
        QCC[K.LEGAL_REP_CHANGE]: {NAME: [{"ProjectName": "法定代表人变更", "ChangeDate": "2024-08-01", "BeforeContent": "张三"}]},
    }


def fast_policy(**overrides: Any) -> TransportPolicy:
    values: dict[str, Any] = {"timeout": 2.0, "max_attempts": 3, "backoff": 0.01, "max_backoff": 0.05, "page_size": 20, "max_pages": 5}
    values.update(overrides)
    return TransportPolicy(**values)


SEVERITY = SeverityPolicy({str(k): v for k, v in DEFAULT_SEVERITIES.items()})


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)  # the backoff schedule, recorded instead of waited


def tianyancha(
    base_url: str, *, token: str = TOKEN, endpoints: dict[IndicatorKind, Endpoint] | None = None, **policy: Any
) -> TianyanchaConnector:
    settings = TianyanchaConfig(base_url=base_url, token=token, endpoints=endpoints or dict(config.TIANYANCHA_ENDPOINTS))
    return TianyanchaConnector(settings, policy=fast_policy(**policy), severity=SEVERITY, sleep=Sleeps())


def qichacha(base_url: str, *, key: str = QCC_KEY, secret_key: str = QCC_SECRET, clock: Any = None, **policy: Any) -> QichachaConnector:
    settings = QichachaConfig(base_url=base_url, key=key, secret_key=secret_key, endpoints=dict(config.QICHACHA_ENDPOINTS))
    extra = {"clock": clock} if clock is not None else {}
    return QichachaConnector(settings, policy=fast_policy(**policy), severity=SEVERITY, sleep=Sleeps(), **extra)
