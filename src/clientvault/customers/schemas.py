from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from clientvault.customers.models import Customer, FollowUp


class CustomerFields(Schema):
    model_config = ConfigDict(extra="forbid")  # an unknown field is an error, not silently dropped

    name: str | None = Field(None, max_length=200)
    status: str | None = None
    source: str | None = None
    is_core: bool | None = None
    id_type: str | None = None
    id_number: str | None = Field(None, max_length=40)
    birth_date: dt.date | None = None
    mobile: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=300)
    nationality: str | None = Field(None, max_length=2)
    residency: str | None = None
    occupation: str | None = Field(None, max_length=100)
    uscc: str | None = Field(None, max_length=30)
    legal_representative: str | None = Field(None, max_length=100)
    registered_address: str | None = Field(None, max_length=300)
    industry: str | None = None
    custom: dict[str, Any] | None = None
    tags: list[str] | None = None
    owner_id: int | None = None
    accept_uscc_checksum_failure: bool = False


class CustomerIn(CustomerFields):
    kind: str
    name: str = Field(..., max_length=200)


class CustomerPatch(CustomerFields):
    version: int | None = Field(None, description="The version you read; a mismatch answers 409.")


class CustomerOut(Schema):
    id: uuid.UUID
    kind: str
    name: str
    status: str
    source: str
    is_core: bool
    owner_id: int | None
    department_id: uuid.UUID
    tags: list[str]
    id_type: str
    id_number: str
    birth_date: dt.date | None
    sex: str
    mobile: str
    email: str
    address: str
    nationality: str
    residency: str
    occupation: str
    uscc: str
    uscc_needs_review: bool
    legal_representative: str
    registered_address: str
    industry: str
    custom: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def from_model(c: Customer) -> CustomerOut:
        data = {f: getattr(c, f) for f in CustomerOut.model_fields if hasattr(c, f) and f not in {"tags", "custom"}}
        return CustomerOut(**data, tags=[t.name for t in c.tags.all()], custom=c.custom_data)


class CustomerSummary(Schema):
    id: uuid.UUID
    kind: str
    name: str
    status: str
    owner_id: int | None
    mobile: str
    uscc: str
    tags: list[str]
    updated_at: dt.datetime

    @staticmethod
    def from_model(c: Customer) -> CustomerSummary:
        return CustomerSummary(
            id=c.pk,
            kind=c.kind,
            name=c.name,
            status=c.status,
            owner_id=c.owner_id,
            mobile=c.mobile,
            uscc=c.uscc,
            tags=[t.name for t in c.tags.all()],
            updated_at=c.updated_at,
        )


class CustomerPageOut(Schema):
    items: list[CustomerSummary]
    page: int
    per_page: int
    total: int
    pages: int


class FollowUpIn(Schema):
    model_config = ConfigDict(extra="forbid")

    occurred_at: dt.datetime
    channel: str
    summary: str = Field(..., max_length=4000)
    next_step: str = Field("", max_length=500)
    next_step_due: dt.date | None = None


class FollowUpPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    occurred_at: dt.datetime | None = None
    channel: str | None = None
    summary: str | None = Field(None, max_length=4000)
    next_step: str | None = Field(None, max_length=500)
    next_step_due: dt.date | None = None


class FollowUpOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    author_id: int
    occurred_at: dt.datetime
    channel: str
    summary: str
    next_step: str
    next_step_due: dt.date | None
    created_at: dt.datetime

    @staticmethod
    def from_model(f: FollowUp) -> FollowUpOut:
        return FollowUpOut(**{k: getattr(f, k) for k in FollowUpOut.model_fields})


class FollowUpPageOut(Schema):
    items: list[FollowUpOut]
    page: int
    total: int


class CustomFieldOut(Schema):
    key: str
    field_type: str
    label_zh: str
    label_en: str
    required: bool
    applies_to: str
    choices: list[dict[str, str]]
