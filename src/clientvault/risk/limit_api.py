"""Limits, payment terms, hold releases and reviews over JSON (issue #16, slice "limits"): one ninja router the
project's API mounts. Writes are the risk desk's (``RISK_DESK`` change); the files they touch are reached through
the ``credit`` policy (out of scope == missing == 404). Answers carry ids, codes, statuses and dates — never an
amount, a number of days or a note: the values stay behind their C2 catalogue keys and the approvals diff.

The errors each operation can answer are declared in ``clientvault.openapi.OPERATION_ERRORS``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal, cast

from ninja import Query, Router, Schema, Status
from pydantic import Field

from clientvault.approvals.models import ChangeRequest
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, RISK_DESK, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import hold_release, limits, reviews
from clientvault.risk.models import CreditReview

router = Router(tags=["risk"])

ReviewKindCode = Literal["periodic", "warning", "human"]


class LimitIn(Schema):
    kind: Literal["permanent", "temporary"]
    amount_minor: int = Field(description="The new limit in the file's currency, minor units (fen)")
    valid_from: dt.date | None = Field(None, description="Default: today")
    valid_until: dt.date | None = Field(None, description="Required for a temporary limit")
    reason: str = Field("", max_length=500)


class TermsIn(Schema):
    days: int = Field(description="Payment terms in days (账期)")
    reason: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class CompleteIn(Schema):
    outcome: str = Field(description="confirmed | changed")
    note: str = Field("", max_length=2000)
    tier: str | None = Field(None, description="high | medium | low (required when the decision changed)")


class RequestRef(Schema):
    """The change request waiting for others (values are in its masked diff: GET /approvals/{id})."""

    id: uuid.UUID
    change_type: str
    status: str
    rule_code: str
    stage: int
    stages: int
    link: str

    @staticmethod
    def of(request: ChangeRequest) -> RequestRef:
        return RequestRef(
            id=request.id,
            change_type=request.change_type,
            status=request.status,
            rule_code=request.rule_code,
            stage=request.stage,
            stages=request.last_stage,
            link=f"/approvals/{request.id}/",
        )


class TermsOut(Schema):
    applied: bool = Field(description="true: shortened (or unchanged) at once; false: a lengthening waits for approval")
    request: RequestRef | None = None


class ReviewListItemOut(Schema):
    id: uuid.UUID
    credit_file_id: uuid.UUID
    kind: ReviewKindCode
    status: str
    outcome: str
    due_on: dt.date
    opened_at: dt.datetime
    completed_at: dt.datetime | None
    overdue: bool


class ReviewQuery(Schema):
    status: str = Field("open", description="open | done | '' (both)")


def _ctx(request: AppRequest, action: str) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, RISK_DESK, action):
        raise PermissionDenied()
    return ctx


def _review(r: CreditReview) -> ReviewListItemOut:
    overdue = r.status == "open" and r.due_on < clock.today()
    return ReviewListItemOut(
        id=r.id,
        credit_file_id=r.credit_file_id,
        kind=cast(ReviewKindCode, r.kind),
        status=r.status,
        outcome=r.outcome,
        due_on=r.due_on,
        opened_at=r.opened_at,
        completed_at=r.completed_at,
        overdue=overdue,
    )


@router.post(
    "/risk/files/{credit_file_id}/limits", response={202: RequestRef}, summary="Propose a credit limit (always approved by another person)"
)
def propose_limit(request: AppRequest, credit_file_id: uuid.UUID, payload: LimitIn) -> Status[RequestRef]:
    ctx = _ctx(request, CHANGE)
    change = limits.propose_limit(
        ctx,
        file_id=credit_file_id,
        kind=payload.kind,
        amount_minor=payload.amount_minor,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        reason=payload.reason,
    )
    return Status(202, RequestRef.of(change))


@router.post("/risk/files/{credit_file_id}/terms", response=TermsOut, summary="Change payment terms (longer terms wait for approval)")
def change_terms(request: AppRequest, credit_file_id: uuid.UUID, payload: TermsIn) -> TermsOut:
    ctx = _ctx(request, CHANGE)
    outcome = limits.change_terms(ctx, file_id=credit_file_id, days=payload.days, reason=payload.reason)
    return TermsOut(applied=outcome.terms is not None, request=RequestRef.of(outcome.request) if outcome.request else None)


@router.post("/risk/holds/{credit_hold_id}/release", response={202: RequestRef}, summary="Ask for a forced credit hold to be released")
def release_hold(request: AppRequest, credit_hold_id: uuid.UUID, payload: ReasonIn) -> Status[RequestRef]:
    ctx = _ctx(request, CHANGE)
    return Status(202, RequestRef.of(hold_release.request_hold_release(ctx, hold_id=credit_hold_id, reason=payload.reason)))


@router.post("/risk/reviews/{credit_review_id}/complete", response=ReviewListItemOut, summary="Complete a credit review")
def complete_review(request: AppRequest, credit_review_id: uuid.UUID, payload: CompleteIn) -> ReviewListItemOut:
    ctx = _ctx(request, CHANGE)
    done = reviews.complete_review(ctx, review_id=credit_review_id, outcome=payload.outcome, note=payload.note, tier=payload.tier)
    return _review(done)


@router.get("/risk/reviews", response=list[ReviewListItemOut], summary="Credit reviews of the files you see (no personal data)")
def list_reviews(request: AppRequest, query: Query[ReviewQuery]) -> list[ReviewListItemOut]:
    ctx = _ctx(request, VIEW)
    return [_review(r) for r in reviews.reviews(ctx, status=query.status)[:500]]
