"""A small factory for the PIPL-24 tests: a credit file and scores written directly (the scoring services are
another slice's), scored by the shipped demo scorecard so the reason codes are real ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientvault.core import clock
from clientvault.customers.models import Customer
from clientvault.risk import vault
from clientvault.risk.explanation import scorecard_spec
from clientvault.risk.models import CreditFile, CreditScore, Trigger
from clientvault.risk.scorecard.scoring import TierPolicy, score

TIERS = TierPolicy(version="1", high_risk_below=538.8, low_risk_from=585.3, model_id="demo-retail-scorecard")
# A customer the demo scorecard puts in the high-risk tier, with reasons on several characteristics.
RISKY = {"utilisation": 0.97, "days_overdue": 45, "tenure_months": 2, "income_band": None, "region": "west", "industry": "retail"}


def credit_file(c: Customer, **fields: Any) -> CreditFile:
    row = CreditFile(customer=c, legal_entity_id=c.legal_entity_id, currency="CNY", created_at=clock.now(), **fields)
    row.save(force_insert=True)
    return row


def credit_score(f: CreditFile, inputs: dict[str, Any] | None = None, *, at: dt.datetime | None = None) -> CreditScore:
    result = score(scorecard_spec(), inputs or RISKY, tiers=TIERS)
    assert result.tier is not None
    row = CreditScore(
        credit_file=f,
        scored_at=at or clock.now(),
        trigger=Trigger.MANUAL,
        model_id=result.model_id,
        model_version=result.model_version,
        # The column holds 64 characters: the hex of "sha256:<hex>" (PostgreSQL refuses the prefixed form).
        spec_digest=result.spec_digest.removeprefix("sha256:"),
        tier_policy_version=1,
        score=result.total,
        tier=result.tier,
    )
    vault.seal(row, "record", result.as_record(), customer_id=f.customer_id)
    row.save(force_insert=True)
    CreditFile.objects.unrestricted(reason="test factory: the file's tier follows its score").filter(pk=f.pk).update(tier=result.tier)
    f.tier = result.tier
    return row


def reason_codes(s: CreditScore) -> list[str]:
    record = vault.open_json(s, "record", customer_id=s.credit_file.customer_id)
    return [str(c) for c in record["reason_codes"]]
