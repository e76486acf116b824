from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from clientvault.access.policies import Decision
from clientvault.dedupe.choices import ClusterStatus, DismissReason


class DuplicateClusterOut(Schema):
    """A cluster of customers likely to be one person or organisation: ids, probability, field codes."""

    id: uuid.UUID
    status: ClusterStatus
    best_probability: float = Field(..., description="The highest Splink match probability among its pairs")
    size: int = Field(..., description="How many records it holds")
    agreeing: list[str] = Field(default_factory=list, description="Field codes the best pair agreed on (name, id_number, mobile …)")
    updated_at: dt.datetime


class DuplicateQueueOut(Schema):
    items: list[DuplicateClusterOut]
    page: int
    pages: int
    total: int


class DuplicateFieldOut(Schema):
    value: str | None = Field(None, description="In clear, masked (张*明) or null when withheld, per the caller's policy")
    decision: Decision


class DuplicateMemberOut(Schema):
    customer_id: uuid.UUID
    fields: dict[str, DuplicateFieldOut]


class DuplicatePairOut(Schema):
    left_id: uuid.UUID
    right_id: uuid.UUID
    probability: float
    agree: list[str]
    partial: list[str]
    disagree: list[str]
    missing: list[str]


class DuplicateClusterDetailOut(Schema):
    cluster: DuplicateClusterOut
    members: list[DuplicateMemberOut]
    pairs: list[DuplicatePairOut]


class DuplicateDismissIn(Schema):
    reason: DismissReason = Field(..., description="Why the records are not duplicates (a code; no free text)")
