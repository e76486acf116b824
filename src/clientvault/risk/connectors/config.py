"""Connector settings, read from ``django.conf.settings`` with defaults (nothing here is required).

    CLIENTVAULT_TIANYANCHA = {"token": "…"}                       # 天眼查: the Authorization token
    CLIENTVAULT_QICHACHA = {"key": "…", "secret_key": "…"}       # 企查查: AppKey and SecretKey
    CLIENTVAULT_RISK_CONNECTORS = {"timeout": 10, "max_attempts": 3, "severity": {"enforcement": "critical"}}

A provider without its credentials is *not configured*: its client refuses to start and no request leaves the
machine. Each provider dictionary may also set ``base_url`` and ``endpoints`` (per indicator kind: ``path``,
``keyword_param``, ``paged``, ``params``), because the paths below could not all be verified against the providers'
own pages (see the [S]/[M] marks, as in RULES.md, and the docstrings of ``tianyancha.py`` and ``qichacha.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from clientvault.risk.connectors.indicators import DEFAULT_SEVERITIES, IndicatorKind, Severity, SeverityPolicy


@dataclass(frozen=True)
class Endpoint:
    """One list endpoint of a provider: where it lives and how the company is named in the query."""

    path: str
    keyword_param: str
    paged: bool = True
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransportPolicy:
    timeout: float = 10.0  # seconds, per connection attempt and per read
    max_attempts: int = 3  # first try included; retries only on 5xx, connection failure and rate limiting
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_backoff: float = 8.0
    page_size: int = 20  # both providers document at most 20 per page
    max_pages: int = 5  # per endpoint and company: bounds cost and time


@dataclass(frozen=True)
class TianyanchaConfig:
    base_url: str
    token: str | None = field(repr=False)
    endpoints: Mapping[IndicatorKind, Endpoint]


@dataclass(frozen=True)
class QichachaConfig:
    base_url: str
    key: str | None = field(repr=False)
    secret_key: str | None = field(repr=False)
    endpoints: Mapping[IndicatorKind, Endpoint]


TIANYANCHA_BASE_URL = "https://open.api.tianyancha.com"  # [S] public clients use http:// and https://
TIANYANCHA_ENDPOINTS: Mapping[IndicatorKind, Endpoint] = {
    IndicatorKind.JUDGEMENT: Endpoint("/services/open/jr/lawSuit/2.0", "keyword"),  # [S] 法律诉讼 (open/842)
    IndicatorKind.ENFORCEMENT: Endpoint("/services/open/jr/zhixinginfo/2.0", "keyword"),  # [S] 被执行人 (open/839)
    IndicatorKind.DISHONEST_DEBTOR: Endpoint("/services/open/jr/dishonest/2.0", "keyword"),  # [S] 失信人 (open/843)
    IndicatorKind.BUSINESS_ANOMALY: Endpoint("/services/open/mr/abnormal/2.0", "keyword"),  # [S] 经营异常 (open/848)
    IndicatorKind.LEGAL_REP_CHANGE: Endpoint("/services/open/ic/changeinfo/2.0", "keyword"),  # [S] 变更记录 (open/822)
}

QICHACHA_BASE_URL = "https://api.qichacha.com"  # [V] openapi.qcc.com/dataApi/886
_EXACT = {"isExactlySame": "true"}
QICHACHA_ENDPOINTS: Mapping[IndicatorKind, Endpoint] = {
    IndicatorKind.JUDGEMENT: Endpoint("/JudgeDocV4/SearchJudgmentDoc", "searchKey"),  # [S] 裁判文书
    IndicatorKind.ENFORCEMENT: Endpoint("/CourtV4/SearchZhiXing", "searchKey", params=_EXACT),  # [S] 被执行人
    IndicatorKind.DISHONEST_DEBTOR: Endpoint("/CourtV4/SearchShiXin", "searchKey", params=_EXACT),  # [S] 失信
    IndicatorKind.BUSINESS_ANOMALY: Endpoint("/ECIException/GetOpException", "keyNo", paged=False),  # [M] 经营异常
    IndicatorKind.LEGAL_REP_CHANGE: Endpoint("/ECIChange/GetList", "searchKey"),  # [M] 变更记录
}


def _section(name: str) -> Mapping[str, Any]:
    value = getattr(settings, name, None) or {}
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"{name} must be a dictionary.")
    return value


def _secret(section: Mapping[str, Any], name: str, setting: str) -> str | None:
    value = section.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"{setting}[{name!r}] must be a string.")  # never echo the value
    return value


def _base_url(section: Mapping[str, Any], default: str, setting: str) -> str:
    url = section.get("base_url", default)
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ImproperlyConfigured(f"{setting}['base_url'] must be an http(s) URL without a query.")
    return str(url).rstrip("/")


def _endpoints(section: Mapping[str, Any], defaults: Mapping[IndicatorKind, Endpoint], setting: str) -> dict[IndicatorKind, Endpoint]:
    overrides = section.get("endpoints") or {}
    if not isinstance(overrides, Mapping):
        raise ImproperlyConfigured(f"{setting}['endpoints'] must be a dictionary.")
    endpoints = dict(defaults)
    for raw_kind, spec in overrides.items():
        try:
            kind = IndicatorKind(raw_kind)
        except ValueError:
            raise ImproperlyConfigured(f"{setting}['endpoints'] has an unknown kind {raw_kind!r}.") from None
        if spec is None:  # switch an endpoint off
            endpoints.pop(kind, None)
            continue
        base = endpoints.get(kind) or Endpoint("", "keyword")
        path = str(spec.get("path", base.path)) if isinstance(spec, Mapping) else ""
        if not isinstance(spec, Mapping) or not path.startswith("/"):
            raise ImproperlyConfigured(f"{setting}['endpoints'][{raw_kind!r}] needs a 'path' starting with '/'.")
        endpoints[kind] = Endpoint(
            path=path,
            keyword_param=str(spec.get("keyword_param", base.keyword_param)),
            paged=bool(spec.get("paged", base.paged)),
            params={str(k): str(v) for k, v in dict(spec.get("params", base.params)).items()},
        )
    return endpoints


def tianyancha_config() -> TianyanchaConfig:
    section = _section("CLIENTVAULT_TIANYANCHA")
    name = "CLIENTVAULT_TIANYANCHA"
    return TianyanchaConfig(
        base_url=_base_url(section, TIANYANCHA_BASE_URL, name),
        token=_secret(section, "token", name),
        endpoints=_endpoints(section, TIANYANCHA_ENDPOINTS, name),
    )


def qichacha_config() -> QichachaConfig:
    section = _section("CLIENTVAULT_QICHACHA")
    name = "CLIENTVAULT_QICHACHA"
    return QichachaConfig(
        base_url=_base_url(section, QICHACHA_BASE_URL, name),
        key=_secret(section, "key", name),
        secret_key=_secret(section, "secret_key", name),
        endpoints=_endpoints(section, QICHACHA_ENDPOINTS, name),
    )


def transport_policy() -> TransportPolicy:
    section = _section("CLIENTVAULT_RISK_CONNECTORS")
    defaults = TransportPolicy()
    try:
        policy = TransportPolicy(
            timeout=float(section.get("timeout", defaults.timeout)),
            max_attempts=int(section.get("max_attempts", defaults.max_attempts)),
            backoff=float(section.get("backoff", defaults.backoff)),
            max_backoff=float(section.get("max_backoff", defaults.max_backoff)),
            page_size=int(section.get("page_size", defaults.page_size)),
            max_pages=int(section.get("max_pages", defaults.max_pages)),
        )
    except (TypeError, ValueError):
        raise ImproperlyConfigured("CLIENTVAULT_RISK_CONNECTORS has a value that is not a number.") from None
    if policy.timeout <= 0 or policy.max_attempts < 1 or policy.backoff < 0 or not 1 <= policy.page_size <= 20 or policy.max_pages < 1:
        raise ImproperlyConfigured(
            "CLIENTVAULT_RISK_CONNECTORS: timeout > 0, max_attempts >= 1, backoff >= 0, max_pages >= 1 and"
            " 1 <= page_size <= 20 (the documented maximum: a larger size would end paging after one page)."
        )
    return policy


def severity_policy() -> SeverityPolicy:
    overrides = _section("CLIENTVAULT_RISK_CONNECTORS").get("severity") or {}
    mapping: dict[str, Severity] = {str(k): v for k, v in DEFAULT_SEVERITIES.items()}
    for key, value in dict(overrides).items():
        kind = str(key).split(":", 1)[0]
        if kind not in IndicatorKind.__members__.values():
            raise ImproperlyConfigured(f"CLIENTVAULT_RISK_CONNECTORS['severity'] has an unknown kind {key!r}.")
        try:
            mapping[str(key)] = Severity(value)
        except ValueError:
            raise ImproperlyConfigured(f"CLIENTVAULT_RISK_CONNECTORS['severity'][{key!r}] must be info, warning or critical.") from None
    return SeverityPolicy(mapping)
