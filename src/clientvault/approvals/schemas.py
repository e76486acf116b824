"""API schemas of change requests and approval rules (issue #13). Lists carry codes, states, dates and the
request's non-personal summary; only the request's own answer carries the diff, masked for the caller."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from clientvault.approvals.models import ApprovalRule, ChangeRequest, Decision
from clientvault.approvals.registry import DiffRow

SlaOut = Literal["ok", "near", "overdue"]


class RequestSummaryOut(Schema):
    id: uuid.UUID
    change_type: str
    change_type_label: str
    status: str
    summary: str
    target_type: str
    field_key: str
    maker: str
    stage: int
    submitted_at: dt.datetime | None
    due_at: dt.datetime | None
    decided_at: dt.datetime | None
    sla: SlaOut

    @staticmethod
    def of(r: ChangeRequest, *, label: str, sla: SlaOut) -> RequestSummaryOut:
        return RequestSummaryOut(
            id=r.id,
            change_type=r.change_type,
            change_type_label=label,
            status=r.status,
            summary=r.summary,
            target_type=r.target_type,
            field_key=r.field_key,
            maker=r.maker.username,
            stage=r.stage,
            submitted_at=r.submitted_at,
            due_at=r.due_at,
            decided_at=r.decided_at,
            sla=sla,
        )


class RequestPageOut(Schema):
    items: list[RequestSummaryOut]
    page: int
    per_page: int
    total: int
    pages: int


class DiffRowOut(Schema):
    field: str
    label: str
    before: str
    after: str
    shown_plain: bool

    @staticmethod
    def of(d: DiffRow) -> DiffRowOut:
        return DiffRowOut(field=d.field, label=str(d.label), before=d.before, after=d.after, shown_plain=d.shown_plain)


class DecisionOut(Schema):
    stage: int
    approver: str
    approver_role: str
    outcome: str
    reason: str
    decided_at: dt.datetime

    @staticmethod
    def of(d: Decision) -> DecisionOut:
        return DecisionOut(
            stage=d.stage,
            approver=d.approver.username,
            approver_role=d.approver_role,
            outcome=d.outcome,
            reason=d.reason,
            decided_at=d.decided_at,
        )


class StepOut(Schema):
    stage: int
    roles: list[str]
    required: int
    supervisor: bool = False


class RequestOut(RequestSummaryOut):
    reason: str
    rule_code: str
    rule_version: int
    plan: list[StepOut]
    applied_at: dt.datetime | None
    failure_reason: str
    diff: list[DiffRowOut]
    decisions: list[DecisionOut]
    may_decide: bool
    may_withdraw: bool
    link: str


class DecisionIn(Schema):
    reason: str = Field("", max_length=500)


class RequestQuery(Schema):
    change_type: str = ""
    due: Literal["", "overdue", "near"] = ""
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=200)


class MineQuery(Schema):
    status: Literal["", "open", "draft", "submitted", "approved", "rejected", "withdrawn", "applied", "expired", "failed"] = ""
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=200)


class RuleOut(Schema):
    code: str
    version: int
    change_type: str
    priority: int
    active: bool
    description: str
    conditions: dict[str, Any]
    steps: list[StepOut]
    supervisor_threshold_minor: int | None
    supervisor_roles: list[str]
    sla_working_days: int
    escalate_to: list[str]
    expire_after_days: int

    @staticmethod
    def of(r: ApprovalRule) -> RuleOut:
        return RuleOut(
            code=r.code,
            version=r.version,
            change_type=r.change_type,
            priority=r.priority,
            active=r.active,
            description=r.description,
            conditions=dict(r.conditions),
            steps=[StepOut(**s) for s in r.steps],
            supervisor_threshold_minor=r.supervisor_threshold_minor,
            supervisor_roles=list(r.supervisor_roles),
            sla_working_days=r.sla_working_days,
            escalate_to=list(r.escalate_to),
            expire_after_days=r.expire_after_days,
        )
