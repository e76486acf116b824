from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from clientvault.customers.choices import Channel, Kind, MatchReason
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
    bank_card: str | None = Field(None, max_length=40, description="Bank card / account number, 12-19 digits (Luhn).")
    custom: dict[str, Any] | None = None
    tags: list[str] | None = None
    owner_id: int | None = None
    accept_uscc_checksum_failure: bool = False
    confirm_duplicates: bool = Field(False, description="Save although possible duplicates were reported (409 duplicate_found); audited")


class CustomerIn(CustomerFields):
    kind: Kind
    name: str = Field(..., max_length=200)


class CustomerPatch(CustomerFields):
    version: int | None = Field(None, description="The version you read; a mismatch answers 409.")


class FieldAccess(Schema):
    decision: str = Field(..., description="plain, masked or withheld (JRT0171-DISPLAY-mask)")
    revealable: bool = Field(False, description="POST .../reveal may return the clear value (audited)")


Shown = str | None  # a value in clear, its masked form, or null when withheld


class CustomerOut(Schema):
    """A customer as the caller's policy and purpose show it: each personal field is plain, masked
    (e.g. 138****5678) or null when withheld; ``fields`` says which, and which may be revealed."""

    id: uuid.UUID
    kind: Kind
    name: Shown
    status: str
    source: str
    is_core: bool
    owner_id: int | None
    department_id: uuid.UUID
    tags: list[str] | None = Field(None, description="Names in clear, one masked mark, or null when withheld")
    id_type: Shown
    id_number: Shown
    birth_date: Shown = Field(None, description="ISO date in clear; masked keeps the year (1990-**-**)")
    sex: Shown
    mobile: Shown
    email: Shown
    address: Shown
    nationality: Shown
    residency: Shown
    occupation: Shown
    uscc: Shown
    uscc_needs_review: bool
    legal_representative: Shown
    registered_address: Shown
    industry: str
    bank_card: Shown
    custom: dict[str, Any]
    fields: dict[str, FieldAccess]
    version: int
    review_status: str = Field(description="Compliance review on entry: pending, approved or rejected")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def from_model(c: Customer) -> CustomerOut:
        skip = {"tags", "custom", "fields", "birth_date"}
        data: dict[str, Any] = {f: getattr(c, f, None) for f in CustomerOut.model_fields if f not in skip}
        birth: Any = getattr(c, "birth_date", None)
        views = getattr(c, "field_views", {})
        return CustomerOut(
            **data,
            birth_date=birth.isoformat() if hasattr(birth, "isoformat") else birth,
            tags=getattr(c, "shown_tags", None),
            custom=c.custom_data,
            fields={k: FieldAccess(decision=str(v.decision), revealable=v.revealable) for k, v in views.items()},
        )


class SubmittedOut(Schema):
    """A change that waits for a second person (issue #13): nothing was written yet."""

    change_request: uuid.UUID = Field(description="The change request to follow (GET /api/v1/approvals/{id})")
    status: Literal["submitted"]
    change_requests: list[uuid.UUID] = Field(description="Every request the change opened (one per kind of change)")

    @staticmethod
    def of(requests: list[Any]) -> SubmittedOut:
        return SubmittedOut(change_request=requests[0].pk, status="submitted", change_requests=[r.pk for r in requests])


class CustomerSummary(Schema):
    id: uuid.UUID
    kind: Kind
    name: Shown
    status: str
    owner_id: int | None
    is_core: bool
    mobile: Shown
    uscc: Shown
    tags: list[str] | None
    fields: dict[str, FieldAccess]
    updated_at: dt.datetime

    @staticmethod
    def from_model(c: Customer) -> CustomerSummary:
        views = getattr(c, "field_views", {})
        return CustomerSummary(
            id=c.pk,
            kind=Kind(c.kind),
            name=c.name,
            status=c.status,
            owner_id=c.owner_id,
            is_core=c.is_core,
            mobile=c.mobile,
            uscc=c.uscc,
            tags=getattr(c, "shown_tags", None),
            fields={k: FieldAccess(decision=str(v.decision), revealable=v.revealable) for k, v in views.items()},
            updated_at=c.updated_at,
        )


class RevealIn(Schema):
    fields: list[str] = Field(..., min_length=1, max_length=20, description="Field names, custom fields as custom.<key>")


class RevealOut(Schema):
    values: dict[str, Any]


class CustomerPageOut(Schema):
    items: list[CustomerSummary]
    page: int
    per_page: int
    total: int
    pages: int


class FollowUpIn(Schema):
    model_config = ConfigDict(extra="forbid")

    occurred_at: dt.datetime
    channel: Channel
    summary: str = Field(..., max_length=4000)
    next_step: str = Field("", max_length=500)
    next_step_due: dt.date | None = None


class FollowUpPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    occurred_at: dt.datetime | None = None
    channel: Channel | None = None
    summary: str | None = Field(None, max_length=4000)
    next_step: str | None = Field(None, max_length=500)
    next_step_due: dt.date | None = None


class FollowUpOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    author_id: int
    occurred_at: dt.datetime
    channel: Channel
    summary: Shown
    next_step: Shown
    next_step_due: dt.date | None
    created_at: dt.datetime
    erased: bool = Field(False, description="The customer's data was erased (crypto-shredded): the text is gone")
    fields: dict[str, FieldAccess] = Field(default_factory=dict, description="summary / next_step: plain, masked or withheld")

    @staticmethod
    def from_model(f: FollowUp) -> FollowUpOut:
        """``f`` as a selector or service presented it (customers/followups.py present)."""
        skip = {"fields", "erased"}
        views = getattr(f, "field_views", {})
        return FollowUpOut(
            **{k: getattr(f, k) for k in FollowUpOut.model_fields if k not in skip},
            erased=bool(getattr(f, "erased", False)),
            fields={k: FieldAccess(decision=str(v.decision), revealable=v.revealable) for k, v in views.items()},
        )


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


def _shown_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class DuplicateMatchOut(Schema):
    """One matching record the caller may see, its fields as their policy shows them (masked or null)."""

    id: uuid.UUID
    kind: Kind
    reasons: list[MatchReason] = Field(description="The fields it matched on (codes, never values)")
    exact: bool = Field(description="Matched on an identical identifier")
    score: float = Field(description="Likeness 0..1 (1 for exact matches)")
    blocking: bool = Field(description="A record with this identifier exists: this save is refused")
    values: dict[str, str | None] = Field(description="Its name and the matched fields as your policy shows them")

    @staticmethod
    def from_model(c: Customer, *, blocking: bool) -> DuplicateMatchOut:
        match: Any = c.match  # type: ignore[attr-defined]
        shown = {f: getattr(c, f, None) for f in getattr(c, "field_views", {}) if f != "tags"}
        values = {f: _shown_text(v) for f, v in shown.items()}
        return DuplicateMatchOut(
            id=c.pk, kind=Kind(c.kind), reasons=[MatchReason(r) for r in match.reasons], exact=match.exact, score=match.score,
            blocking=blocking, values=values,
        )  # fmt: skip


class DuplicateErrorDetail(Schema):
    """ErrorDetail extended: with code duplicate_found the matches are listed; any other 409 (conflict …) is a
    plain error with the same envelope and no matches."""

    code: str = Field(description="duplicate_found, or another conflict code (conflict, rejected_at_review …)")
    message: str
    request_id: str = Field(description="The request id, also in the audit trail and the logs")
    fields: dict[str, list[str]] | None = None
    details: dict[str, list[str]] | None = None  # ErrorDetail's codes (e.g. credit_blocked); unused by duplicate_found
    matches: list[DuplicateMatchOut] = Field(default_factory=list, description="duplicate_found: the matching records you may see")
    hidden_matches: int = Field(0, description="Records you may not see that hold the same ID number or credit code (a count only)")
    needs_confirmation: bool = Field(False, description="Send the same request again with confirm_duplicates=true to save anyway")


class DuplicateErrorOut(Schema):
    """409: the save was refused and nothing was written; duplicate_found lists the possible duplicates."""

    error: DuplicateErrorDetail
