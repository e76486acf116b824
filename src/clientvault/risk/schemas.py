"""JSON shapes of the credit API (issue #16). Amounts travel as decimal strings in the file's currency ("1234.56"),
never floats; a value the caller's policy does not show in clear is null, and ``views`` says why (plain / masked /
withheld per field). The customer's name is shown as the customer policy shows it (masked, or null)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal, cast

from ninja import Schema
from pydantic import Field

from clientvault.assets.money import decimal_text
from clientvault.risk import portfolio as book
from clientvault.risk import shapes

LimitKind = Literal["permanent", "temporary"]
HoldKind = Literal["forced", "rule"]
ReviewKind = Literal["periodic", "warning", "human"]


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else decimal_text(minor, currency)


class LimitOut(Schema):
    id: uuid.UUID
    kind: LimitKind
    amount: str | None = Field(description="Decimal string in the file's currency; null unless shown plain")
    valid_from: dt.date
    valid_until: dt.date | None
    in_force: bool


class CreditHoldOut(Schema):
    id: uuid.UUID
    kind: HoldKind
    reason_code: str
    status: str
    placed_at: dt.datetime
    note: str | None = Field(description="The person's note; null unless shown plain")
    released_at: dt.datetime | None


class CreditReviewOut(Schema):
    id: uuid.UUID
    kind: ReviewKind
    due_on: dt.date
    status: str
    overdue: bool


class ScoreLineOut(Schema):
    id: uuid.UUID
    scored_at: dt.datetime
    model_id: str
    model_version: str
    score: float | None
    tier: str | None


class ExposureOut(Schema):
    evaluated_at: dt.datetime | None
    exposure: str | None
    overdue_amount: str | None
    days_overdue: int | None
    collateral: str | None
    fired: list[str]


class FileOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    currency: str
    views: dict[str, str] = Field(description="Per field: plain, masked or withheld")
    tier: str | None
    terms_days: int | None
    next_review_on: dt.date | None
    evaluated: bool = Field(description="False: the file has not been evaluated yet (no exposure figures)")
    exposure: ExposureOut | None
    limits: list[LimitOut]
    holds: list[CreditHoldOut]
    reviews: list[CreditReviewOut]
    scores: list[ScoreLineOut]
    open_warnings: int

    @staticmethod
    def build(v: shapes.FileView) -> FileOut:
        cur = v.currency
        exposure = None
        if v.exposure is not None:
            e = v.exposure
            exposure = ExposureOut(
                evaluated_at=e.evaluated_at,
                exposure=_money(e.exposure, cur),
                overdue_amount=_money(e.overdue_amount, cur),
                days_overdue=e.days_overdue,
                collateral=_money(e.collateral, cur),
                fired=list(e.fired),
            )
        return FileOut(
            id=v.file.pk,
            customer_id=v.customer_id,
            customer_name=v.customer_name,
            currency=cur,
            views=v.views,
            tier=v.tier,
            terms_days=v.terms_days,
            next_review_on=v.file.next_review_on,
            evaluated=v.evaluated,
            exposure=exposure,
            limits=[
                LimitOut(
                    id=x.id,
                    kind=cast(LimitKind, x.kind),
                    amount=_money(x.amount, cur),
                    valid_from=x.valid_from,
                    valid_until=x.valid_until,
                    in_force=x.in_force,
                )
                for x in v.limits
            ],
            holds=[
                CreditHoldOut(
                    id=h.id,
                    kind=cast(HoldKind, h.kind),
                    reason_code=h.reason_code,
                    status=h.status,
                    placed_at=h.placed_at,
                    note=h.note,
                    released_at=h.released_at,
                )
                for h in v.holds
            ],
            reviews=[
                CreditReviewOut(id=r.id, kind=cast(ReviewKind, r.kind), due_on=r.due_on, status=r.status, overdue=r.overdue)
                for r in v.reviews
            ],
            scores=[
                ScoreLineOut(id=s.id, scored_at=s.scored_at, model_id=s.model_id, model_version=s.model_version, score=s.score, tier=s.tier)
                for s in v.scores
            ],
            open_warnings=v.open_warnings,
        )


class FileRowOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    tier: str | None
    limit: str | None
    exposure: str | None
    currency: str
    days_overdue: int | None
    held: bool
    next_review_on: dt.date | None
    review_overdue: bool


class FileListOut(Schema):
    items: list[FileRowOut]
    page: int
    total: int
    has_next: bool

    @staticmethod
    def build(p: shapes.FilePage) -> FileListOut:
        return FileListOut(
            items=[
                FileRowOut(
                    id=r.id,
                    customer_id=r.customer_id,
                    customer_name=r.customer_name,
                    tier=r.tier,
                    limit=_money(r.limit, r.currency),
                    exposure=_money(r.exposure, r.currency),
                    currency=r.currency,
                    days_overdue=r.days_overdue,
                    held=r.held,
                    next_review_on=r.next_review_on,
                    review_overdue=r.review_overdue,
                )
                for r in p.rows
            ],
            page=p.page,
            total=p.total,
            has_next=p.has_next,
        )


class PointsOut(Schema):
    field: str
    label: str
    bin: str
    points: float
    best_points: float | None


class ReasonOut(Schema):
    code: str
    zh: str = Field(description="Plain-language reason in Chinese (PIPL-24); empty when the scorecard is not installed")
    en: str


class ScoreOut(Schema):
    id: uuid.UUID
    credit_file_id: uuid.UUID
    customer_id: uuid.UUID
    scored_at: dt.datetime
    model_id: str
    model_version: str
    views: dict[str, str]
    score: float | None
    tier: str | None
    points: list[PointsOut]
    reasons: list[ReasonOut]
    inputs_used: list[str] = Field(description="Field codes the score read (never their values)")
    missing: list[str]

    @staticmethod
    def build(v: shapes.ScoreView) -> ScoreOut:
        s = v.score
        return ScoreOut(
            id=s.pk,
            credit_file_id=v.file_id,
            customer_id=v.customer_id,
            scored_at=s.scored_at,
            model_id=s.model_id,
            model_version=s.model_version,
            views=v.views,
            score=v.total,
            tier=v.tier,
            points=[PointsOut(field=p.field, label=p.label, bin=p.bin_label, points=p.points, best_points=p.best_points) for p in v.points],
            reasons=[ReasonOut(code=r.code, zh=r.zh, en=r.en) for r in v.reasons],
            inputs_used=v.inputs_used,
            missing=v.missing,
        )


class TierOut(Schema):
    tier: str
    files: int
    exposure: dict[str, str] = Field(description="Per currency, the summed exposure as a decimal string")


class BucketOut(Schema):
    bucket: str
    files: int
    overdue: dict[str, str]


class PortfolioOut(Schema):
    as_of: dt.date
    files: int
    not_evaluated: int
    by_tier: list[TierOut]
    overdue_buckets: list[BucketOut]
    migration: dict[str, dict[str, int]] = Field(description="Tier at the end of last month → tier now → files")
    holds_forced: int
    holds_rule: int
    reviews_overdue: int
    reviews_due_soon: int

    @staticmethod
    def build(p: book.Portfolio) -> PortfolioOut:
        def money(values: dict[str, int]) -> dict[str, str]:
            return {c: decimal_text(v, c) for c, v in values.items()}

        matrix: dict[str, dict[str, int]] = {
            a: {b: p.migration.counts.get((a, b), 0) for b in p.migration.tiers} for a in p.migration.tiers
        }
        return PortfolioOut(
            as_of=p.as_of,
            files=p.files,
            not_evaluated=p.not_evaluated,
            by_tier=[TierOut(tier=t.tier, files=t.files, exposure=money(t.exposure)) for t in p.by_tier],
            overdue_buckets=[BucketOut(bucket=b.code, files=b.files, overdue=money(b.overdue)) for b in p.buckets],
            migration=matrix,
            holds_forced=p.holds_forced,
            holds_rule=p.holds_rule,
            reviews_overdue=p.reviews_overdue,
            reviews_due_soon=p.reviews_due_soon,
        )


class ForcedHoldIn(Schema):
    reason_code: str = Field(max_length=60, description="Why: a warning kind, a rule code, or manual")
    note: str = Field(max_length=1000, description="The person's words (sealed under the customer's key)")


class HoldPlacedOut(Schema):
    id: uuid.UUID
    credit_file_id: uuid.UUID
    kind: HoldKind
    reason_code: str
    status: str
    placed_at: dt.datetime

    @staticmethod
    def build(h: Any) -> HoldPlacedOut:
        return HoldPlacedOut(
            id=h.pk, credit_file_id=h.credit_file_id, kind=h.kind, reason_code=h.reason_code, status=h.status, placed_at=h.placed_at
        )
