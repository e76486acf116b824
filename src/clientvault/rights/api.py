"""Data-subject requests over JSON (issue #15): list, log, read, verify identity, extend, refuse, retry a
failed part, take over, download a done part. Staff only (the customer uses the portal)."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from ninja import Query, Router, Schema

from clientvault.core.capabilities import RIGHTS_REQUESTS, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.rights import requests, selectors
from clientvault.rights.choices import RequestKind
from clientvault.rights.schemas import ExtendIn, RefuseIn, RequestDetailOut, RequestIn, RetryIn, RightsRequestOut, VerifyIn

router = Router(tags=["rights"])


class ListQuery(Schema):
    status: str = ""
    kind: RequestKind | None = None
    flagged: bool = False


def _ctx(request: AppRequest) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, RIGHTS_REQUESTS, VIEW):
        raise PermissionDenied()
    return ctx


def _detail(ctx: Context, rights_request_id: uuid.UUID) -> RequestDetailOut:
    return RequestDetailOut.of(selectors.get_request(ctx, rights_request_id))


@router.get("/rights/requests", response=list[RightsRequestOut], summary="Data-subject requests by due date (open ones unless status=all)")
def list_requests(request: AppRequest, query: Query[ListQuery]) -> list[RightsRequestOut]:
    ctx = _ctx(request)
    found = selectors.request_list(ctx, selectors.RequestFilters(status=query.status, kind=query.kind or "", flagged=query.flagged))
    return [RightsRequestOut.of(v) for v in found]


@router.post(
    "/rights/requests", response={201: RequestDetailOut}, summary="Log a request received at the counter, by phone, letter or e-mail"
)
def submit(request: AppRequest, payload: RequestIn) -> tuple[int, RequestDetailOut]:
    ctx = _ctx(request)
    row = requests.submit_request(
        ctx=ctx, customer_id=payload.customer_id, kind=payload.kind, channel=payload.channel, jurisdiction=payload.jurisdiction,
        text=payload.text, changes=payload.changes, purpose=payload.purpose, verification_method=payload.verification_method,
    )  # fmt: skip
    return 201, _detail(ctx, row.pk)


@router.get("/rights/requests/{rights_request_id}", response=RequestDetailOut, summary="One request: clock, pauses, parts")
def get_request(request: AppRequest, rights_request_id: uuid.UUID) -> RequestDetailOut:
    return _detail(_ctx(request), rights_request_id)


@router.post("/rights/requests/{rights_request_id}/verify", response=RequestDetailOut, summary="Record how identity was verified")
def verify(request: AppRequest, rights_request_id: uuid.UUID, payload: VerifyIn) -> RequestDetailOut:
    ctx = _ctx(request)
    requests.verify_identity(ctx=ctx, request_id=rights_request_id, method=payload.method)
    return _detail(ctx, rights_request_id)


@router.post(
    "/rights/requests/{rights_request_id}/extend", response=RequestDetailOut, summary="Extend (GDPR-12: told within the first month)"
)
def extend(request: AppRequest, rights_request_id: uuid.UUID, payload: ExtendIn) -> RequestDetailOut:
    ctx = _ctx(request)
    requests.extend(ctx=ctx, request_id=rights_request_id, reason=payload.reason)
    return _detail(ctx, rights_request_id)


@router.post(
    "/rights/requests/{rights_request_id}/refuse", response=RequestDetailOut, summary="Refuse with a reason code and text (PIPL-50)"
)
def refuse(request: AppRequest, rights_request_id: uuid.UUID, payload: RefuseIn) -> RequestDetailOut:
    ctx = _ctx(request)
    requests.refuse(ctx=ctx, request_id=rights_request_id, code=payload.code, text=payload.text)
    return _detail(ctx, rights_request_id)


@router.post("/rights/requests/{rights_request_id}/retry", response=RequestDetailOut, summary="Run a failed part again")
def retry(request: AppRequest, rights_request_id: uuid.UUID, payload: RetryIn) -> RequestDetailOut:
    ctx = _ctx(request)
    requests.retry_part(ctx=ctx, request_id=rights_request_id, part_kind=payload.part)
    return _detail(ctx, rights_request_id)


@router.post("/rights/requests/{rights_request_id}/take", response=RequestDetailOut, summary="Take over handling the request")
def take(request: AppRequest, rights_request_id: uuid.UUID) -> RequestDetailOut:
    ctx = _ctx(request)
    requests.take_over(ctx=ctx, request_id=rights_request_id)
    return _detail(ctx, rights_request_id)


@router.get("/rights/requests/{rights_request_id}/parts/{part}/download", summary="The package of a done part (PDF, JSON or CSV ZIP)")
def download(request: AppRequest, rights_request_id: uuid.UUID, part: str) -> HttpResponse:
    found = selectors.download_part(_ctx(request), rights_request_id, part)
    response = HttpResponse(found.data, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["Cache-Control"] = "no-store"
    return response
