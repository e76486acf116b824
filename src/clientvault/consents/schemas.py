from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from clientvault.consents.choices import Action, Audience, CaptureChannel, ConsentType, State


class ConsentRecordOut(Schema):
    id: uuid.UUID
    purpose: str
    seq: int
    action: Action
    consent_type: ConsentType
    notice: str
    notice_version: int
    notice_hash: str
    categories: list[str]
    recipients: list[str]
    destination_country: str
    channel: CaptureChannel
    by_subject: bool
    captured_by: str | None
    guardian_relation: str
    not_preticked: bool
    not_bundled: bool
    has_evidence: bool
    occurred_at: dt.datetime
    expires_at: dt.datetime | None

    @staticmethod
    def from_model(r: Any) -> ConsentRecordOut:
        return ConsentRecordOut(
            id=r.pk,
            purpose=r.purpose,
            seq=r.seq,
            action=r.action,
            consent_type=r.consent_type,
            notice=r.notice.notice,
            notice_version=r.notice.version,
            notice_hash=r.notice.content_hash,
            categories=list(r.categories),
            recipients=list(r.recipients),
            destination_country=r.destination_country,
            channel=r.channel,
            by_subject=r.by_subject,
            captured_by=r.captured_by.get_username() if r.captured_by_id else None,
            guardian_relation=r.guardian_relation,
            not_preticked=r.not_preticked,
            not_bundled=r.not_bundled,
            has_evidence=bool(getattr(r, "has_evidence", False)),
            occurred_at=r.occurred_at,
            expires_at=r.expires_at,
        )


class PurposeConsentOut(Schema):
    purpose: str
    state: State
    consent_type: ConsentType | None
    categories: list[str]
    expires_at: dt.datetime | None
    needs_renewal: bool


class CustomerConsentsOut(Schema):
    customer_id: uuid.UUID
    minor: bool
    consents: list[PurposeConsentOut]
    history: list[ConsentRecordOut]


class GiveConsentIn(Schema):
    purpose: str = Field(max_length=40)
    notice_id: uuid.UUID
    consent_type: ConsentType
    categories: list[str] = Field(max_length=20)
    recipients: list[str] = Field(default_factory=list, max_length=50)
    destination_country: str = Field("", max_length=2)
    channel: CaptureChannel = Field(description="How the consent was given")
    not_preticked: bool = Field(description="The customer ticked an empty box (PIPL-14, GDPR-7)")
    not_bundled: bool = Field(description="Asked on its own, not bundled with other terms")
    guardian_relation: str = Field("", max_length=10)
    guardian_name: str = Field("", max_length=100)
    expires_at: dt.datetime | None = None


class WithdrawIn(Schema):
    channel: CaptureChannel


class NoticeOut(Schema):
    id: uuid.UUID
    notice: str
    version: int
    audience: Audience
    title_zh: str
    title_en: str
    purposes: list[str]
    categories: list[str]
    recipients: list[str]
    destination_countries: list[str]
    retention_days: int
    content_hash: str
    published_at: dt.datetime


class EventOut(Schema):
    id: int
    seq: int = Field(description="Feed position: pass the last one seen as `after` to continue.")
    topic: Literal["consent.changed", "notice.published"]
    payload: dict[str, Any]
    occurred_at: dt.datetime
