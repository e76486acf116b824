"""The shapes the risk desk's selectors return (issue #16): what a viewer sees of a credit file, a score, the file
list and the reviews due. Values the plan does not show in clear are None; ``views`` carries the plan per field."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from clientvault.risk.models import CreditFile, CreditScore


@dataclass(frozen=True)
class LimitLine:
    id: uuid.UUID
    kind: str
    kind_label: str
    amount: int | None  # minor units; None when the plan does not show amounts
    valid_from: dt.date
    valid_until: dt.date | None
    in_force: bool


@dataclass(frozen=True)
class TermsLine:
    days: int | None
    valid_from: dt.date


@dataclass(frozen=True)
class HoldLine:
    id: uuid.UUID
    kind: str
    kind_label: str
    reason_code: str
    status: str
    status_label: str
    placed_at: dt.datetime
    placed_by: str
    note: str | None  # decrypted only when shown in clear; None otherwise (or erased)
    released_at: dt.datetime | None


@dataclass(frozen=True)
class ReviewLine:
    id: uuid.UUID
    kind: str
    kind_label: str
    due_on: dt.date
    status: str
    status_label: str
    outcome: str
    outcome_tier: str | None
    overdue: bool


@dataclass(frozen=True)
class ScoreLine:
    id: uuid.UUID
    scored_at: dt.datetime
    trigger_label: str
    model_id: str
    model_version: str
    score: float | None
    tier: str | None


@dataclass(frozen=True)
class Exposure:
    """The last control evaluation's figures (written by ``risk.control``); amounts None when not shown."""

    evaluated_at: dt.datetime | None
    exposure: int | None
    overdue_amount: int | None
    days_overdue: int | None
    collateral: int | None
    fired: tuple[str, ...]


@dataclass
class FileView:
    file: CreditFile
    customer_id: uuid.UUID
    customer_name: str | None
    views: dict[str, str]  # field name → "plain" / "masked" / "withheld"
    tier: str | None
    currency: str
    limits: list[LimitLine]
    terms_days: int | None
    terms_history: list[TermsLine]
    evaluated: bool
    exposure: Exposure | None
    holds: list[HoldLine]
    reviews: list[ReviewLine]
    scores: list[ScoreLine]
    open_warnings: int
    may_change: bool
    shown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PointsLine:
    field: str
    label: str
    bin_label: str
    points: float
    best_points: float | None


@dataclass(frozen=True)
class ReasonLine:
    code: str
    zh: str
    en: str


@dataclass
class ScoreView:
    score: CreditScore
    file_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    views: dict[str, str]
    total: float | None
    tier: str | None
    record_shown: bool
    spec_known: bool  # the scorecard that made the score is installed (texts and labels available)
    points: list[PointsLine]
    reasons: list[ReasonLine]
    inputs_used: list[str]
    missing: list[str]
    shown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileFilters:
    tier: str = ""  # "high" / "medium" / "low" / "none" (not scored)
    held: bool = False
    review_due: bool = False

    def active_keys(self) -> list[str]:
        return [k for k, on in (("tier", bool(self.tier)), ("held", self.held), ("review_due", self.review_due)) if on]


@dataclass(frozen=True)
class FileRow:
    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    tier: str | None
    tier_shown: bool  # False: hidden by the policy (a None tier with True is "not scored yet")
    limit: int | None
    currency: str
    exposure: int | None
    days_overdue: int | None
    held: bool
    next_review_on: dt.date | None
    review_overdue: bool


@dataclass
class FilePage:
    rows: list[FileRow]
    page: int
    total: int
    has_next: bool
    filters: FileFilters
    tier_filter: bool  # the tier filter is offered only where the actor sees tiers in clear


@dataclass(frozen=True)
class ReviewRow:
    id: uuid.UUID
    file_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    kind_label: str
    due_on: dt.date
    overdue: bool
    tier: str | None
