"""API schemas of the credit-control rules, the tier policies and their pending changes (issue #16, risk/rule_api.py).

Catalogue values only — codes, thresholds, actions, versions and who changed them (usernames); nothing about a
customer. Named ``Credit…`` so that no other app's schema shares their OpenAPI component.

Inputs are typed strictly (no "30" for 30, no "no" for false): a threshold the engine would read otherwise must be
refused, not coerced. What a measure's ``params`` hold is the service's to validate (``rule_catalogue.PARAMS``), which
names the field (``params.at``) it refuses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictFloat, StrictInt

from clientvault.core.catalogues import REASON_LENGTH, EntryVersion
from clientvault.risk.models import ControlRule, TierPolicy
from clientvault.risk.rule_catalogue import PARAMS

ActionCode = Literal["warn", "hold", "block"]
CheckpointCode = Literal["new_credit", "drawdown", "terms_change", "evaluation"]
ChangeKind = Literal["rule", "policy"]
ChangeStatusCode = Literal["pending", "approved", "rejected"]

MEASURE_HELP = "What the rule measures (a measure the credit-control engine knows)"
MEASURES: dict[str, Any] = {"enum": sorted(PARAMS)}  # documented as an enum; the service refuses any other with the field named
PARAMS_HELP = 'The measure\'s thresholds, e.g. {"at": 30} for days_overdue; the whole set replaces the old one'
REASON_HELP = "Why (kept with the version and in the audit trail)"


class CreditRuleOut(Schema):
    code: str
    measure: str
    params: dict[str, Any]
    action: ActionCode
    checkpoints: list[CheckpointCode]
    active: bool
    citation: str
    description: str
    version: int
    updated_at: dt.datetime

    @staticmethod
    def of(row: ControlRule) -> CreditRuleOut:
        return CreditRuleOut(code=row.code, version=row.version, updated_at=row.updated_at, **row.snapshot())


class CreditRuleCreateIn(Schema):
    code: str = Field(max_length=60, description="2 to 60 lower-case letters, digits and hyphens, beginning with a letter")
    measure: str = Field(description=MEASURE_HELP, json_schema_extra=MEASURES)
    params: dict[str, Any] = Field(description=PARAMS_HELP)
    action: ActionCode
    checkpoints: list[CheckpointCode]
    active: StrictBool = True
    citation: str = Field("", max_length=60)
    description: str = Field("", max_length=300)
    reason: str = Field(max_length=REASON_LENGTH, description=REASON_HELP)


class CreditRuleChangeIn(Schema):
    """Only the values that change, and why (a loosening is proposed for a second risk officer)."""

    measure: str | None = Field(None, description=f"{MEASURE_HELP}: {', '.join(sorted(PARAMS))}")
    params: dict[str, Any] | None = Field(None, description=PARAMS_HELP)
    action: ActionCode | None = None
    checkpoints: list[CheckpointCode] | None = None
    active: StrictBool | None = None
    citation: str | None = Field(None, max_length=60)
    description: str | None = Field(None, max_length=300)
    reason: str = Field(max_length=REASON_LENGTH, description=REASON_HELP)


class CreditTierPolicyOut(Schema):
    code: str
    model_id: str
    high_risk_below: float
    low_risk_from: float
    review_months_high: int
    review_months_medium: int
    review_months_low: int
    version: int
    updated_at: dt.datetime

    @staticmethod
    def of(row: TierPolicy) -> CreditTierPolicyOut:
        return CreditTierPolicyOut(code=row.code, version=row.version, updated_at=row.updated_at, **row.snapshot())


class CreditTierPolicyChangeIn(Schema):
    """Only the values that change, and why (lowering protection is proposed for a second risk officer)."""

    model_id: str | None = Field(None, max_length=80, description="The scorecard the thresholds were set for")
    high_risk_below: StrictFloat | None = Field(None, description="Scores below this are high risk")
    low_risk_from: StrictFloat | None = Field(None, description="Scores from this are low risk")
    review_months_high: StrictInt | None = Field(None, description="Review interval of the high-risk tier (months)")
    review_months_medium: StrictInt | None = None
    review_months_low: StrictInt | None = None
    reason: str = Field(max_length=REASON_LENGTH, description=REASON_HELP)


class CreditVersionOut(Schema):
    version: int
    values: dict[str, Any]
    reason: str
    changed_by: str | None = Field(description="Username; empty for the seeded first versions")
    changed_at: dt.datetime

    @staticmethod
    def of(row: EntryVersion) -> CreditVersionOut:
        who = row.changed_by.username if row.changed_by is not None else None
        return CreditVersionOut(version=row.version, values=row.snapshot, reason=row.reason, changed_by=who, changed_at=row.changed_at)


class CreditCatalogueChangeOut(Schema):
    """A change waiting for (or decided by) a second risk officer; ``proposed`` is the whole row as it would become."""

    kind: ChangeKind
    id: uuid.UUID
    code: str
    base_version: int | None = Field(description="The version it changes; null: a new rule")
    proposed: dict[str, Any]
    fields: list[str]
    lowers: list[str] = Field(description="The fields whose change loosens credit control")
    reason: str
    status: ChangeStatusCode
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str

    @staticmethod
    def of(kind: ChangeKind, change: Any) -> CreditCatalogueChangeOut:
        return CreditCatalogueChangeOut(
            kind=kind, id=change.pk, code=change.code, base_version=change.base_version, proposed=change.proposed,
            fields=change.fields, lowers=change.lowers, reason=change.reason, status=change.status,
            proposed_by=change.proposed_by.username, proposed_at=change.proposed_at,
            decided_by=change.decided_by.username if change.decided_by is not None else None, decided_at=change.decided_at,
            decision_reason=change.decision_reason,
        )  # fmt: skip


class CreditChangeQuery(Schema):
    status: Literal["pending", "approved", "rejected", "all"] = Field("pending", description="Which changes (default: pending)")


class CreditDecisionIn(Schema):
    reason: str = Field("", max_length=REASON_LENGTH, description="Why you decide so (required)")
