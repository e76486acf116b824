"""A small factory for the risk desk's tests: credit files, limits, terms, scores, holds, reviews, warnings and
stability checks written directly (test setup, not domain writes: no audit event), with sealed columns sealed as the
services seal them. The services that write these rows belong to other slices and are tested there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientvault.core import clock
from clientvault.customers.models import Customer
from clientvault.risk import scorecards, vault
from clientvault.risk.models import (
    CreditFile,
    CreditHold,
    CreditLimit,
    CreditReview,
    CreditScore,
    EarlyWarning,
    HoldKind,
    PaymentTerms,
    ReviewKind,
    StabilityCheck,
)
from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs
from clientvault.testing import credit

REASON = "test factory: rows another slice's services write"
EVALUATION = {
    "figures": {"exposure": 8_000_000, "overdue_amount": 120_000, "days_overdue": 45, "collateral": 500_000},
    "fired": ["days_overdue"],
}
RISKY_INPUTS = {"utilisation": 0.97, "days_overdue": 45, "tenure_months": 6, "income_band": "<5k", "region": "西部", "industry": "矿业"}


def credit_file(c: Customer, *, tier: str = "medium", evaluation: dict[str, Any] | None = None, **fields: Any) -> CreditFile:
    """A scored, reviewed file (``testing.credit.credit_file`` with the desk's defaults): tier, terms, next review soon."""
    values: dict[str, Any] = {
        "tier": tier,
        "terms_days": 30,
        "next_review_on": clock.today() + dt.timedelta(days=10),
        "evaluation": {} if evaluation is None else evaluation,
        "evaluated_at": clock.now() if evaluation else None,
        **fields,
    }
    return credit.credit_file(c, **values)


def limit(
    f: CreditFile, amount: int, *, kind: str = "permanent", valid_from: dt.date | None = None, valid_until: dt.date | None = None
) -> CreditLimit:
    row = CreditLimit(
        credit_file=f,
        kind=kind,
        amount=amount,
        valid_from=valid_from or clock.today() - dt.timedelta(days=30),
        valid_until=valid_until,
        created_at=clock.now(),
    )
    row.save(force_insert=True)
    return row


def terms(f: CreditFile, days: int) -> PaymentTerms:
    row = PaymentTerms(credit_file=f, days=days, valid_from=clock.today() - dt.timedelta(days=30), created_at=clock.now())
    row.save(force_insert=True)
    return row


def score(f: CreditFile, *, inputs: dict[str, Any] | None = None, at: dt.datetime | None = None, tier: str | None = None) -> CreditScore:
    """A score made with the shipped demo scorecard, its record sealed under the customer's key."""
    spec = specs.load(scorecards.DEMO)
    tiers = scoring.TierPolicy("default-v1", 538.8, 585.3, spec.model_id)
    result = scoring.score(spec, inputs or RISKY_INPUTS, tiers=tiers)
    row = CreditScore(
        credit_file=f,
        scored_at=at or clock.now(),
        trigger="manual",
        model_id=spec.model_id,
        model_version=spec.version,
        spec_digest=scorecards.bare(spec.digest),  # the column holds 64 characters
        tier_policy_version=1,
        score=result.total,
        tier=tier or result.tier or "medium",
    )
    vault.seal(row, "record", result.as_record(), customer_id=f.customer_id)
    row.save(force_insert=True)
    return row


def hold(f: CreditFile, note: str, *, reason_code: str = "manual", kind: str = HoldKind.FORCED) -> CreditHold:
    row = CreditHold(credit_file=f, kind=kind, reason_code=reason_code, placed_at=clock.now())
    vault.seal(row, "note", note, customer_id=f.customer_id)
    row.save(force_insert=True)
    return row


def review(f: CreditFile, due_on: dt.date, *, kind: str = ReviewKind.PERIODIC) -> CreditReview:
    row = CreditReview(credit_file=f, kind=kind, due_on=due_on, opened_at=clock.now())
    row.save(force_insert=True)
    return row


def warning(f: CreditFile, kind: str, severity: str, *, reference: str = "r1", at: dt.datetime | None = None) -> EarlyWarning:
    row = EarlyWarning(credit_file=f, kind=kind, source="internal", severity=severity, reference=reference, detected_at=at or clock.now())
    row.save(force_insert=True)
    return row


def stability(month: dt.date, psi: float, *, model_id: str = "demo-retail-scorecard") -> StabilityCheck:
    return StabilityCheck.objects.create(
        month=month, model_id=model_id, psi=psi, threshold=0.25, alert=psi > 0.25, population=120, computed_at=clock.now()
    )


def first_score(f: CreditFile) -> CreditScore:
    found = CreditScore.objects.unrestricted(reason=REASON).filter(credit_file=f).order_by("-scored_at").first()
    assert found is not None
    return found  # type: ignore[no-any-return]
