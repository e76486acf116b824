"""The credit API (issue #16): credit files, a file, a score with its reasons, the portfolio, and placing a forced hold.

Every operation is purpose-bound (``X-Purpose: credit_assessment`` for risk officers, or the token's only purpose) and
answers through the selectors and services, so each read records its event and a file out of scope is a 404 like a
missing one. The file list and the portfolio are the risk desk's (code capability ``risk_desk``); a single file and a
score follow the ``credit`` policy (a sales rep reads the files of their own customers, amounts hidden).
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from clientvault.access import engine
from clientvault.access.policies import CHANGE, CREDIT
from clientvault.core.capabilities import RISK_DESK, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import holds, selectors, shapes
from clientvault.risk.forms import FORCED_HOLD_CODES
from clientvault.risk.schemas import FileListOut, FileOut, ForcedHoldIn, HoldPlacedOut, PortfolioOut, ScoreOut

router = Router(tags=["risk"])


def _desk(ctx: Context) -> None:
    if ctx.actor is None or not allows(ctx.roles, RISK_DESK, VIEW):
        raise PermissionDenied()


class FileQuery(Schema):
    tier: str = ""
    held: bool = False
    review_soon: bool = Field(False, description="Only files whose next review is overdue or due within 30 days")
    page: int = 1


@router.get("/risk/files", response=FileListOut, summary="Credit files (filters: tier, held, review_soon)")
def list_files(request: AppRequest, query: Query[FileQuery]) -> FileListOut:
    ctx = ctx_of(request)
    _desk(ctx)
    if query.tier not in ("", "high", "medium", "low", "none"):
        raise ValidationFailed({"tier": [_("Choose high, medium, low or none.")]})
    if query.page < 1 or query.page > 100_000:
        raise ValidationFailed({"page": [_("Choose a page from 1.")]})
    filters = shapes.FileFilters(tier=query.tier, held=query.held, review_due=query.review_soon)
    return FileListOut.build(selectors.list_files(ctx, filters, page=query.page))


@router.get("/risk/files/{file_id}", response=FileOut, summary="A credit file: limits, terms, exposure, holds, reviews, scores")
def get_file(request: AppRequest, file_id: uuid.UUID) -> FileOut:
    return FileOut.build(selectors.credit_file(ctx_of(request), file_id))


@router.get("/risk/scores/{score_id}", response=ScoreOut, summary="A credit score with its points and reasons (PIPL-24)")
def get_score(request: AppRequest, score_id: uuid.UUID) -> ScoreOut:
    return ScoreOut.build(selectors.score_detail(ctx_of(request), score_id, language=getattr(request, "LANGUAGE_CODE", "zh-hans")))


@router.get("/risk/portfolio", response=PortfolioOut, summary="The credit portfolio: aggregates only")
def get_portfolio(request: AppRequest) -> PortfolioOut:
    ctx = ctx_of(request)
    _desk(ctx)
    return PortfolioOut.build(selectors.portfolio(ctx))


@router.post("/risk/files/{file_id}/holds", response={201: HoldPlacedOut}, summary="Place a forced hold (reason code and note)")
def place_hold(request: AppRequest, file_id: uuid.UUID, payload: ForcedHoldIn) -> Status[HoldPlacedOut]:
    ctx = ctx_of(request)
    engine.require_purpose(ctx)
    if not engine.can(ctx, CREDIT, CHANGE):
        raise PermissionDenied()
    if payload.reason_code not in FORCED_HOLD_CODES:
        raise ValidationFailed({"reason_code": [_("Choose the reason for the hold.")]})
    hold = holds.place_forced_hold(ctx, file_id=file_id, reason_code=payload.reason_code, note=payload.note)
    return Status(201, HoldPlacedOut.build(hold))
