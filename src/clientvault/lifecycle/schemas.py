"""API schemas of the lifecycle (issue #15): codes, dates, ids and counts — nothing personal."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field


class RetentionRuleOut(Schema):
    code: str
    version: int
    category: str
    purpose: str
    legal_basis: str
    period_months: int
    start_event: str
    end_action: str
    citation: str
    description: str


class HoldIn(Schema):
    customer_id: uuid.UUID
    basis: str = Field(description="aml | litigation | regulator | other")
    reference: str = Field("", max_length=80, description="Case or notice number (no personal data)")
    category: str = Field("", description="A data category, or empty for the whole customer")
    starts_on: dt.date | None = None
    until: dt.date | None = None


class HoldOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    basis: str
    category: str
    reference: str
    starts_on: dt.date
    until: dt.date | None
    status: str
    automatic: bool


class LiftIn(Schema):
    reason: str = Field("", max_length=300, description="Why the hold should end (a request); empty when deciding")
    decide: bool = Field(False, description="True: decide a pending lift (a second compliance officer)")
    approve: bool = Field(True, description="With decide: lift (true) or keep the hold (false)")


class CertificateSummary(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    issued_at: dt.datetime
    key_id: str


class CertificateOut(Schema):
    certificate: dict[str, Any]
    signature: str
    key_id: str
    algorithm: str
