"""Change requests over JSON (issue #13): the inbox, one's own requests, one request (masked diff and trail,
recording ``approval.viewed``), approve / reject / withdraw, and the approval rules catalogue (read only)."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.db.models import QuerySet
from ninja import Query, Router

from clientvault.access.policies import VIEW, allows
from clientvault.approvals import registry, selectors, services
from clientvault.approvals.models import ApprovalRule, ChangeRequest
from clientvault.approvals.schemas import (
    DecisionIn,
    DecisionOut,
    DiffRowOut,
    MineQuery,
    RequestOut,
    RequestPageOut,
    RequestQuery,
    RequestSummaryOut,
    RuleOut,
    StepOut,
)
from clientvault.core.capabilities import APPROVAL_RULES, APPROVALS
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.core.http import AppRequest, ctx_of

router = Router(tags=["approvals"])


def _ctx(request: AppRequest, resource: str = APPROVALS) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, resource, VIEW):
        raise PermissionDenied()
    return ctx


def _label(code: str) -> str:
    try:
        return str(registry.get(code).label)
    except LookupError:
        return code


def _page(qs: QuerySet[ChangeRequest], page: int, per_page: int) -> RequestPageOut:
    paginator = Paginator(qs.select_related("maker"), per_page)
    found = paginator.get_page(page)
    items = [RequestSummaryOut.of(r, label=_label(r.change_type), sla=selectors.sla_state(r)) for r in found.object_list]
    return RequestPageOut(items=items, page=found.number, per_page=per_page, total=paginator.count, pages=paginator.num_pages)


@router.get("/approvals/inbox", response=RequestPageOut, summary="Change requests waiting for your decision (待审批)")
def inbox(request: AppRequest, query: Query[RequestQuery]) -> RequestPageOut:
    ctx = _ctx(request)
    filters = {"change_type": query.change_type, "overdue": query.due == "overdue", "near_due": query.due == "near"}
    return _page(selectors.inbox(ctx, filters=filters), query.page, query.per_page)


@router.get("/approvals/mine", response=RequestPageOut, summary="The change requests you made")
def mine(request: AppRequest, query: Query[MineQuery]) -> RequestPageOut:
    return _page(selectors.mine(_ctx(request), status=query.status), query.page, query.per_page)


def _request_out(ctx: Context, change_request_id: uuid.UUID) -> RequestOut:
    view = selectors.get_request(ctx, change_request_id)
    r = view.request
    summary = RequestSummaryOut.of(r, label=view.label, sla=view.sla)
    return RequestOut(
        **summary.model_dump(),
        reason=r.reason,
        rule_code=r.rule_code,
        rule_version=r.rule_version,
        plan=[StepOut(**s) for s in r.plan],
        applied_at=r.applied_at,
        failure_reason=r.failure_reason,
        diff=[DiffRowOut.of(d) for d in view.diff],
        decisions=[DecisionOut.of(d) for d in view.decisions],
        may_decide=view.may_decide,
        may_withdraw=view.may_withdraw,
        link=view.link,
    )


@router.get("/approvals/{change_request_id}", response=RequestOut, summary="A change request: masked diff and approval trail")
def get_request(request: AppRequest, change_request_id: uuid.UUID) -> RequestOut:
    return _request_out(_ctx(request), change_request_id)


@router.post("/approvals/{change_request_id}/approve", response=RequestSummaryOut, summary="Approve (the last approval applies the change)")
def approve(request: AppRequest, change_request_id: uuid.UUID, payload: DecisionIn) -> RequestSummaryOut:
    r = services.approve(_ctx(request), change_request_id, reason=payload.reason)
    return RequestSummaryOut.of(r, label=_label(r.change_type), sla=selectors.sla_state(r))


@router.post("/approvals/{change_request_id}/reject", response=RequestSummaryOut, summary="Reject, with a reason")
def reject(request: AppRequest, change_request_id: uuid.UUID, payload: DecisionIn) -> RequestSummaryOut:
    r = services.reject(_ctx(request), change_request_id, reason=payload.reason)
    return RequestSummaryOut.of(r, label=_label(r.change_type), sla=selectors.sla_state(r))


@router.post("/approvals/{change_request_id}/withdraw", response=RequestSummaryOut, summary="Withdraw your own request")
def withdraw(request: AppRequest, change_request_id: uuid.UUID, payload: DecisionIn) -> RequestSummaryOut:
    r = services.withdraw(_ctx(request), change_request_id, reason=payload.reason)
    return RequestSummaryOut.of(r, label=_label(r.change_type), sla=selectors.sla_state(r))


@router.get("/approval-rules", response=list[RuleOut], summary="The approval rules (which change needs whose approval)")
def approval_rules(request: AppRequest) -> list[RuleOut]:
    _ctx(request, APPROVAL_RULES)
    return [RuleOut.of(r) for r in ApprovalRule.objects.all()]
