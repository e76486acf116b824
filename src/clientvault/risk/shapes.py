"""The shapes the risk desk's selectors return (issue #16): what a viewer sees of a credit file, a score, the file
list and the reviews due. Values the plan does not show in clear are None; ``views`` carries the plan per field."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from clientvault.risk import portfolio as book
from clientvault.risk.models import CreditFile, CreditScore, LimitKind, ReviewStatus


@dataclass(frozen=True)
class LimitLine:
    id: uuid.UUID
    kind: str
    kind_label: str
    amount: int | None  # minor units; None when the plan does not show amounts
    valid_from: dt.date
    valid_until: dt.date | None
    in_force: bool

    @staticmethod
    def of(lim: Any, clear: bool, today: dt.date) -> LimitLine:
        in_force = lim.ended_at is None and lim.valid_from <= today
        in_force = in_force and (lim.kind == LimitKind.PERMANENT or (lim.valid_until is not None and today <= lim.valid_until))
        return LimitLine(
            lim.pk, lim.kind, str(lim.get_kind_display()), lim.amount if clear else None, lim.valid_from, lim.valid_until, in_force
        )


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

    @staticmethod
    def of(hold: Any, note: str | None) -> HoldLine:
        by = hold.placed_by
        return HoldLine(
            id=hold.pk,
            kind=hold.kind,
            kind_label=str(hold.get_kind_display()),
            reason_code=hold.reason_code,
            status=hold.status,
            status_label=str(hold.get_status_display()),
            placed_at=hold.placed_at,
            placed_by="" if by is None else str(by.display_name or by.username),
            note=note,
            released_at=hold.released_at,
        )


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

    @staticmethod
    def of(r: Any, tier_clear: bool, today: dt.date) -> ReviewLine:
        return ReviewLine(
            id=r.pk,
            kind=r.kind,
            kind_label=str(r.get_kind_display()),
            due_on=r.due_on,
            status=r.status,
            status_label=str(r.get_status_display()),
            outcome=str(r.get_outcome_display()) if r.outcome else "",
            outcome_tier=(r.outcome_tier or None) if tier_clear else None,
            overdue=r.status == ReviewStatus.OPEN and r.due_on < today,
        )


@dataclass(frozen=True)
class ScoreLine:
    id: uuid.UUID
    scored_at: dt.datetime
    trigger_label: str
    model_id: str
    model_version: str
    score: float | None
    tier: str | None

    @staticmethod
    def of(s: Any, score_clear: bool, tier_clear: bool) -> ScoreLine:
        return ScoreLine(
            s.pk,
            s.scored_at,
            str(s.get_trigger_display()),
            s.model_id,
            s.model_version,
            s.score if score_clear else None,
            s.tier if tier_clear else None,
        )


@dataclass(frozen=True)
class Exposure:
    """The last control evaluation's figures (written by ``risk.control``); amounts None when not shown."""

    evaluated_at: dt.datetime | None
    exposure: int | None
    overdue_amount: int | None
    days_overdue: int | None
    collateral: int | None
    fired: tuple[str, ...]

    @staticmethod
    def of(credit_file: CreditFile, clear: bool) -> Exposure | None:
        """None when the file was never evaluated ("not evaluated yet", never zero); amounts None unless ``clear``."""
        evaluation = credit_file.evaluation or {}
        if not evaluation:
            return None
        figures = book.figures_of(evaluation)

        def amount(key: str) -> int | None:
            return book.int_or_none(figures.get(key)) if clear else None

        fired = tuple(book.fired_of(evaluation)) if clear else ()
        return Exposure(
            credit_file.evaluated_at, amount("exposure"), amount("overdue_amount"), amount("days_overdue"), amount("collateral"), fired
        )


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
