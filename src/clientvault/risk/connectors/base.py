"""The small HTTP client every connector shares: standard library only (``urllib.request``), bounded and quiet.

- Timeouts on every attempt; no retry after a timeout (it would multiply the wait).
- Bounded retries with exponential backoff on 5xx answers, refused connections and rate limiting
  (HTTP 429 or the provider's own rate-limit code).
- Redirects are refused: following one would resend the credentials to wherever it points.
- Logs name the source, the indicator kind, the page and a *subject tag* (a keyed digest of the company
  identifier with a per-process random key): never a URL, a query string, a header, a name or a credit code.
- Paging stops at ``max_pages`` per endpoint, at the reported total, or at a short page.
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import re
import secrets
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from clientvault.risk.connectors.config import Endpoint, TransportPolicy
from clientvault.risk.connectors.errors import (
    ConnectorAuthError,
    ConnectorBadResponse,
    ConnectorError,
    ConnectorQuota,
    ConnectorRateLimited,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidCompanyQuery,
)
from clientvault.risk.connectors.indicators import Indicator, IndicatorKind, SeverityPolicy
from clientvault.risk.connectors.records import record_digest

logger = logging.getLogger("clientvault.risk.connectors")

Record = Mapping[str, Any]
MAX_BODY_BYTES = 8 * 1024 * 1024
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")  # GB 32100 alphabet; the check digit is the customer record's business
_TAG_KEY = secrets.token_bytes(16)


@dataclass(frozen=True)
class CompanyQuery:
    """The validated identifiers of the company to look up (organisations only: PIPL-23 forbids sending a natural
    person's data to another processor without separate consent, so callers pass organisation customers only)."""

    uscc: str | None
    name: str | None

    @classmethod
    def parse(cls, *, uscc: object = None, name: object = None) -> CompanyQuery:
        """Validate before anything is sent; errors never echo the input."""
        errors: dict[str, list[Any]] = {}
        clean_uscc = clean_name = None
        if uscc not in (None, ""):
            candidate = unicodedata.normalize("NFKC", uscc).strip().upper() if isinstance(uscc, str) else ""
            if _USCC.fullmatch(candidate):
                clean_uscc = candidate
            else:
                errors["uscc"] = [_("Enter an 18-character unified social credit code.")]
        if name not in (None, ""):
            candidate = name.strip() if isinstance(name, str) else ""
            if 2 <= len(candidate) <= 200 and candidate.isprintable():
                clean_name = candidate
            else:
                errors["name"] = [_("Enter the company's registered name (2 to 200 characters).")]
        if not errors and clean_uscc is None and clean_name is None:
            errors["uscc"] = [_("Give the company's unified social credit code or its registered name.")]
        if errors:
            raise InvalidCompanyQuery(errors)
        return cls(clean_uscc, clean_name)

    def keyword(self, *, prefer_uscc: bool) -> str:
        first, second = (self.uscc, self.name) if prefer_uscc else (self.name, self.uscc)
        return first or second or ""

    @property
    def tag(self) -> str:
        """Joins the log lines of one lookup without revealing whom it was about."""
        ident = f"{self.uscc or ''}|{self.name or ''}".encode()
        return hmac.new(_TAG_KEY, ident, hashlib.sha256).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"CompanyQuery(tag={self.tag})"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


class Connector(abc.ABC):
    """A client of one provider: its credentials, its endpoints, its envelope; the transport is shared."""

    source: ClassVar[str]
    prefer_uscc: ClassVar[bool] = True

    def __init__(
        self,
        *,
        base_url: str,
        endpoints: Mapping[IndicatorKind, Endpoint],
        policy: TransportPolicy,
        severity: SeverityPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.endpoints = dict(endpoints)
        self.policy = policy
        self.severity = severity
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- what each provider defines ---------------------------------------------------------------------------
    @abc.abstractmethod
    def auth_headers(self) -> dict[str, str]:
        """Headers for one attempt (fresh each time: 企查查 signs a timestamp)."""

    def auth_params(self) -> dict[str, str]:
        return {}

    @abc.abstractmethod
    def page_params(self, page: int, size: int) -> dict[str, str]: ...

    @abc.abstractmethod
    def unwrap(self, payload: Any) -> tuple[Sequence[Record], int | None]:
        """The records and the reported total of an answer, or a typed ConnectorError."""

    @abc.abstractmethod
    def to_indicator(self, kind: IndicatorKind, record: Record) -> Indicator | None:
        """One record as an Indicator, or None when it is not a signal (a change of address, say)."""

    # -- the shared flow --------------------------------------------------------------------------------------
    def fetch(self, *, uscc: object = None, name: object = None) -> list[Indicator]:
        """Every indicator this provider has about the company, de-duplicated by (kind, reference)."""
        return self.fetch_query(CompanyQuery.parse(uscc=uscc, name=name))

    def fetch_query(self, query: CompanyQuery) -> list[Indicator]:
        found: dict[tuple[IndicatorKind, str], Indicator] = {}
        for kind, endpoint in self.endpoints.items():
            for record in self._records(kind, endpoint, query):
                indicator = self.to_indicator(kind, record)
                if indicator is not None:
                    found.setdefault(indicator.key, indicator)
        logger.info("%s: %d indicators for subject %s", self.source, len(found), query.tag)
        return list(found.values())

    def indicator(
        self, kind: IndicatorKind, record: Record, *, occurred_on: dt.date | None, reference: str, codes: Sequence[str]
    ) -> Indicator:
        digest = record_digest(record)
        return Indicator(
            source=self.source,
            kind=kind,
            severity=self.severity.severity_for(kind, codes),
            occurred_on=occurred_on,
            reference=reference or f"{self.source}:{digest[:16]}",
            summary_codes=tuple(codes),
            record_digest=digest,
        )

    def _records(self, kind: IndicatorKind, endpoint: Endpoint, query: CompanyQuery) -> Iterator[Record]:
        size = self.policy.page_size
        pages = self.policy.max_pages if endpoint.paged else 1
        seen = 0
        for page in range(1, pages + 1):
            params = {**endpoint.params, endpoint.keyword_param: query.keyword(prefer_uscc=self.prefer_uscc)}
            if endpoint.paged:
                params.update(self.page_params(page, size))
            items, total = self._call(kind, endpoint, params, query.tag, page)
            yield from items
            seen += len(items)
            if not endpoint.paged or len(items) < size or (total is not None and seen >= total):
                return
        logger.info("%s %s: stopped at max_pages=%d for subject %s", self.source, kind, pages, query.tag)

    def _call(
        self, kind: IndicatorKind, endpoint: Endpoint, params: dict[str, str], tag: str, page: int
    ) -> tuple[Sequence[Record], int | None]:
        url = f"{self.base_url}{endpoint.path}?{urlencode({**self.auth_params(), **params})}"  # never logged
        attempts = self.policy.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                items, total = self.unwrap(self._get_json(url, self.auth_headers()))
            except ConnectorError as exc:
                if not exc.retryable or attempt >= attempts:
                    logger.warning(
                        "%s %s page %d for subject %s failed: %s (provider code %s, attempt %d/%d)",
                        self.source, kind, page, tag, exc.code, exc.provider_code, attempt, attempts,
                    )  # fmt: skip
                    raise
                delay = min(self.policy.backoff * 2 ** (attempt - 1), self.policy.max_backoff)
                logger.info(
                    "%s %s page %d: %s (provider code %s), retry %d/%d in %.2fs",
                    self.source, kind, page, exc.code, exc.provider_code, attempt, attempts - 1, delay,
                )  # fmt: skip
                self._sleep(delay)
                continue
            if not all(isinstance(item, Mapping) for item in items):
                raise ConnectorBadResponse(self.source, provider_code="record_not_object")
            logger.debug("%s %s page %d for subject %s: %d records", self.source, kind, page, tag, len(items))
            return items, total
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_json(self, url: str, headers: Mapping[str, str]) -> Any:
        # base_url is checked to be http(s) in config.py; redirects are refused, so no other scheme is reachable.
        request = urllib.request.Request(url, headers={"Accept": "application/json", **headers}, method="GET")  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.policy.timeout) as response:
                body = response.read(MAX_BODY_BYTES + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            raise self._http_error(status) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise ConnectorTimeout(self.source, provider_code="timeout") from None
            raise ConnectorUnavailable(self.source, provider_code="connection", retryable=True) from None
        except TimeoutError:
            raise ConnectorTimeout(self.source, provider_code="timeout") from None
        except (OSError, http.client.HTTPException):
            raise ConnectorUnavailable(self.source, provider_code="connection", retryable=True) from None
        if len(body) > MAX_BODY_BYTES:
            raise ConnectorBadResponse(self.source, provider_code="too_large")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ConnectorBadResponse(self.source, provider_code="not_json") from None

    def _http_error(self, status: int) -> ConnectorError:
        code = f"http_{status}"
        if status in (401, 403):
            return ConnectorAuthError(self.source, provider_code=code)
        if status == 429:
            return ConnectorRateLimited(self.source, provider_code=code)
        return ConnectorUnavailable(self.source, provider_code=code, retryable=status >= 500)


def envelope_error(source: str, code: str, *, auth: frozenset[str], quota: frozenset[str], rate: frozenset[str]) -> ConnectorError:
    """The typed error for a provider's business error code (anything unknown is the provider's failure)."""
    if code in auth:
        return ConnectorAuthError(source, provider_code=code)
    if code in rate:
        return ConnectorRateLimited(source, provider_code=code)
    if code in quota:
        return ConnectorQuota(source, provider_code=code)
    return ConnectorUnavailable(source, provider_code=code)
