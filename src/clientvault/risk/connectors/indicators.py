"""The typed result of every connector: an :class:`Indicator`, its kind and its severity."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class IndicatorKind(enum.StrEnum):
    """What an external record says about a company (issue #16, "External indicators")."""

    JUDGEMENT = "judgement"  # 裁判文书
    ENFORCEMENT = "enforcement"  # 被执行人
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人
    BUSINESS_ANOMALY = "business_anomaly"  # 经营异常
    LEGAL_REP_CHANGE = "legal_rep_change"  # 变更记录: 法定代表人


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}

# A key is a kind, or "kind:qualifier" for a narrower case (a record's qualifiers are its summary codes).
DEFAULT_SEVERITIES: Mapping[str, Severity] = {
    IndicatorKind.JUDGEMENT: Severity.INFO,
    IndicatorKind.ENFORCEMENT: Severity.WARNING,
    IndicatorKind.DISHONEST_DEBTOR: Severity.CRITICAL,
    IndicatorKind.BUSINESS_ANOMALY: Severity.WARNING,
    f"{IndicatorKind.BUSINESS_ANOMALY}:status:removed": Severity.INFO,
    IndicatorKind.LEGAL_REP_CHANGE: Severity.WARNING,
}


@dataclass(frozen=True)
class SeverityPolicy:
    """Maps a kind (and optionally one of its summary codes) to a severity; data, not code."""

    mapping: Mapping[str, Severity]

    def severity_for(self, kind: IndicatorKind, summary_codes: Iterable[str] = ()) -> Severity:
        """The most specific match wins: "kind:code" for any of the codes, else "kind", else warning."""
        for code in summary_codes:
            qualified = self.mapping.get(f"{kind}:{code}")
            if qualified is not None:
                return qualified
        return self.mapping.get(str(kind), Severity.WARNING)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One external early-warning signal about a company.

    ``reference`` is the case number for court records (normalised so that both providers spell it alike) or a
    kind-scoped key for register records; ``summary_codes`` are short stable codes, never free text, so that
    nothing personal (a legal representative's name, say) is copied out of the provider's record;
    ``record_digest`` is the SHA-256 of the provider's raw record, the evidence that it was seen.
    """

    source: str
    kind: IndicatorKind
    severity: Severity
    occurred_on: dt.date | None
    reference: str
    summary_codes: tuple[str, ...]
    record_digest: str

    @property
    def key(self) -> tuple[IndicatorKind, str]:
        return (self.kind, self.reference)
