"""API schemas of data-subject requests (issue #15). Free text goes in sealed; out comes only to those who may read it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from clientvault.rights.choices import PartKind, RequestChannel, RequestKind
from clientvault.rights.request_views import PartView, RequestView


class RequestIn(Schema):
    customer_id: uuid.UUID
    kind: RequestKind
    channel: RequestChannel = Field(description="How it was received: counter, phone, letter or email (portal: the portal itself)")
    jurisdiction: str = Field("CN", description="CN (PIPL) or EU (GDPR): decides the deadline policy")
    text: str = Field("", max_length=4000, description="The customer's words (sealed under their key)")
    changes: dict[str, Any] = Field(default_factory=dict, description="Correction: field code → corrected value (sealed)")
    purpose: str = Field("", max_length=50, description="Withdrawal: the purpose code whose consent is withdrawn")
    verification_method: str = Field("", description="How identity was verified; empty: the clock pauses until verified")


class VerifyIn(Schema):
    method: str = Field(description="id_document | call_back | signed_letter | email_on_record")


class ExtendIn(Schema):
    reason: str = Field(max_length=2000, description="Why more time is needed (told to the customer; sealed)")


class RefuseIn(Schema):
    code: str = Field(description="A refusal reason code (PIPL-50)")
    text: str = Field(max_length=4000, description="The explanation given to the customer (sealed)")


class RetryIn(Schema):
    part: str = Field(description="The kind of the failed part to run again")


class PartOut(Schema):
    kind: PartKind
    status: str
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    finished_at: dt.datetime | None
    reference: str
    downloadable: bool

    @classmethod
    def of(cls, part: PartView) -> PartOut:
        return cls(**{name: getattr(part, name) for name in cls.model_fields})


class RightsRequestOut(Schema):
    id: uuid.UUID
    kind: RequestKind
    channel: RequestChannel
    jurisdiction: str
    customer_id: uuid.UUID
    received_at: dt.datetime
    status: str
    due_on: dt.date | None
    outer_due_on: dt.date | None
    extended_due_on: dt.date | None
    calendar_flag: str = Field(description='"calendar_not_covered": no due date is computed (fail closed)')
    urgency: str = Field(description="ok | due_soon | overdue | flagged | closed")
    verified_at: dt.datetime | None
    refusal_code: str
    closed_at: dt.datetime | None
    outcome: dict[str, Any]

    @classmethod
    def of(cls, view: RequestView) -> RightsRequestOut:
        return cls(**{name: getattr(view, name) for name in cls.model_fields})


class RequestDetailOut(RightsRequestOut):
    pauses: list[dict[str, Any]]
    parts: list[PartOut]
    text: str | None = Field(None, description="Shown to the compliance team and to whoever logged the request")
    changes: dict[str, Any] | None = None
    purpose: str | None = None
    refusal_text: str | None = None
    extension_reason: str | None = None

    @classmethod
    def of(cls, view: RequestView) -> RequestDetailOut:
        values = {name: getattr(view, name) for name in cls.model_fields if name != "parts"}
        return cls(**values, parts=[PartOut.of(p) for p in view.parts])
