"""The configured connectors, and one call across them: ``fetch_indicators(uscc, name)``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from clientvault.risk.connectors import config
from clientvault.risk.connectors.base import CompanyQuery, Connector
from clientvault.risk.connectors.errors import ConnectorError, ConnectorNotConfigured
from clientvault.risk.connectors.indicators import Indicator, IndicatorKind
from clientvault.risk.connectors.qichacha import QichachaConnector
from clientvault.risk.connectors.tianyancha import TianyanchaConnector

logger = logging.getLogger("clientvault.risk.connectors")

SOURCES: tuple[str, ...] = (TianyanchaConnector.source, QichachaConnector.source)


def configured_connectors() -> list[Connector]:
    """One client per provider whose credentials are set; none is built (nor contacted) otherwise."""
    policy, severity = config.transport_policy(), config.severity_policy()
    connectors: list[Connector] = []
    tyc = config.tianyancha_config()
    if tyc.token:
        connectors.append(TianyanchaConnector(tyc, policy=policy, severity=severity))
    qcc = config.qichacha_config()
    if qcc.key and qcc.secret_key:
        connectors.append(QichachaConnector(qcc, policy=policy, severity=severity))
    return connectors


@dataclass
class FetchOutcome:
    """What each source answered: the merged indicators, and the sources that failed (with their errors)."""

    indicators: list[Indicator] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failures: dict[str, ConnectorError] = field(default_factory=dict)


def collect_indicators(uscc: str | None, name: str | None, *, connectors: Sequence[Connector] | None = None) -> FetchOutcome:
    """Ask every connector; merge by (kind, reference), keeping the first report and the highest severity."""
    query = CompanyQuery.parse(uscc=uscc, name=name)  # invalid input fails before any connector is built
    clients = configured_connectors() if connectors is None else list(connectors)
    if not clients:
        raise ConnectorNotConfigured("registry")
    outcome = FetchOutcome()
    merged: dict[tuple[IndicatorKind, str], Indicator] = {}
    for client in clients:
        try:
            found = client.fetch_query(query)
        except ConnectorError as exc:
            outcome.failures[client.source] = exc
            continue
        outcome.succeeded.append(client.source)
        for indicator in found:
            kept = merged.get(indicator.key)
            if kept is None:
                merged[indicator.key] = indicator
            elif indicator.severity.rank > kept.severity.rank:
                merged[indicator.key] = _with_severity(kept, indicator)
    outcome.indicators = list(merged.values())
    return outcome


def fetch_indicators(uscc: str | None, name: str | None, *, connectors: Sequence[Connector] | None = None) -> list[Indicator]:
    """Indicators from every configured source, de-duplicated by (kind, reference).

    A source that fails is logged (by code) and skipped, so one provider's outage does not hide the other's
    findings; if every source fails, the first failure is raised, so that "no indicators" always means "asked,
    and nothing found". Callers that must know which sources answered use :func:`collect_indicators`.
    """
    outcome = collect_indicators(uscc, name, connectors=connectors)
    if not outcome.succeeded:
        raise next(iter(outcome.failures.values()))
    for source, exc in outcome.failures.items():
        logger.warning("%s skipped: %s (provider code %s)", source, exc.code, exc.provider_code)
    return outcome.indicators


def _with_severity(kept: Indicator, stronger: Indicator) -> Indicator:
    return replace(kept, severity=stronger.severity)
