"""Merges over JSON (issue #14): propose a merge (a change request), read a merge's lineage (``merge.viewed``),
request its unmerge. Deciding them is the approvals API's business."""

from __future__ import annotations

import uuid

from ninja import Router

from clientvault.core.capabilities import DUPLICATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.merges import selectors, services
from clientvault.merges.schemas import MergeOut, MergeProposalIn, MergeRequestOut, UnmergeIn

router = Router(tags=["merges"])


def _ctx(request: AppRequest) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, DUPLICATES, VIEW):
        raise PermissionDenied()
    return ctx


@router.post("/merges", response={201: MergeRequestOut}, summary="Propose merging records into the first one (a change request)")
def propose(request: AppRequest, payload: MergeProposalIn) -> tuple[int, MergeRequestOut]:
    ctx = _ctx(request)
    change = services.propose(
        ctx, list(payload.customer_ids), picks=dict(payload.picks), reason=payload.reason, cluster_id=payload.cluster_id
    )
    return 201, MergeRequestOut(merge_id=uuid.UUID(change.target_id), change_request_id=change.pk, change_request_status=change.status)


@router.get("/merges/{merge_id}", response=MergeOut, summary="A merge: its records, where each field came from, status, unmerge window")
def get_merge(request: AppRequest, merge_id: uuid.UUID) -> MergeOut:
    return MergeOut.of(selectors.get_merge(_ctx(request), merge_id))


@router.post("/merges/{merge_id}/unmerge", response={201: MergeRequestOut}, summary="Request undoing a merge (a change request)")
def unmerge(request: AppRequest, merge_id: uuid.UUID, payload: UnmergeIn) -> tuple[int, MergeRequestOut]:
    ctx = _ctx(request)
    merge = selectors.visible_merges(ctx).filter(pk=merge_id).first()
    if merge is None:
        raise NotFound()
    change = services.propose_unmerge(ctx, merge, payload.reason)
    return 201, MergeRequestOut(merge_id=merge.pk, change_request_id=change.pk, change_request_status=change.status)
