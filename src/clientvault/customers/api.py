"""Customers and follow-ups over JSON. Handlers parse and delegate; services and selectors decide."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ninja import Query, Router, Schema, Status

from clientvault.core.http import AppRequest, ctx_of
from clientvault.customers import followups, matching, profiles, protection, selectors
from clientvault.customers.choices import Kind, ReviewStatus
from clientvault.customers.models import CustomFieldDefinition
from clientvault.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPageOut,
    CustomerPatch,
    CustomerSummary,
    CustomFieldOut,
    DuplicateErrorDetail,
    DuplicateErrorOut,
    DuplicateMatchOut,
    FollowUpIn,
    FollowUpOut,
    FollowUpPageOut,
    FollowUpPatch,
    RevealIn,
    RevealOut,
    SubmittedOut,
)

router = Router(tags=["customers"])
_CONTROL = {"custom", "tags", "owner_id", "accept_uscc_checksum_failure", "version", "kind", "confirm_duplicates"}


def _duplicate_answer(request: AppRequest, exc: matching.DuplicateFound) -> Status[Any]:
    """409 with the matches the caller may see (masked per policy; the selector records what was shown)."""
    shown = selectors.duplicate_matches(ctx_of(request), exc.report)
    blocking = {m.customer_id for m in exc.report.blocking}
    detail = DuplicateErrorDetail(
        code="duplicate_found",
        message=str(exc),
        request_id=getattr(request, "request_id", ""),
        fields=exc.as_dict() or None,
        matches=[DuplicateMatchOut.from_model(c, blocking=c.pk in blocking) for c in shown.items],
        hidden_matches=shown.hidden_blocking,
        needs_confirmation=not exc.report.blocking,
    )
    return Status(409, DuplicateErrorOut(error=detail))


class CustomerQuery(Schema):
    q: str = ""
    status: str = ""
    kind: Kind | Literal[""] = ""
    tag: str = ""
    owner_id: int | None = None
    sort: str = "-created"
    review: ReviewStatus | Literal[""] = ""
    page: int = 1
    per_page: int = 25


@router.get("/customers", response=CustomerPageOut, summary="List customers you may see")
def list_customers(request: AppRequest, query: Query[CustomerQuery]) -> CustomerPageOut:
    filters = selectors.CustomerFilters(
        q=query.q, status=query.status, kind=query.kind, tag=query.tag, owner_id=query.owner_id, sort=query.sort, review=query.review
    )
    page = selectors.list_customers(ctx_of(request), filters, page=max(1, query.page), per_page=query.per_page)
    return CustomerPageOut(
        items=[CustomerSummary.from_model(c) for c in page.items],
        page=page.number,
        per_page=page.per_page,
        total=page.total,
        pages=page.num_pages,
    )


@router.post(
    "/customers",
    response={201: CustomerOut, 409: DuplicateErrorOut},
    summary="Create a customer (409 duplicate_found: possible duplicates; confirm_duplicates=true saves past warnings)",
)
def create_customer(request: AppRequest, payload: CustomerIn) -> Status[Any]:
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if k not in _CONTROL}
    try:
        customer = profiles.create_customer(
            ctx=ctx_of(request),
            kind=payload.kind,
            data=data,
            custom=payload.custom or {},
            tags=payload.tags or [],
            owner_id=payload.owner_id,
            accept_uscc_checksum_failure=payload.accept_uscc_checksum_failure,
            confirm_duplicates=payload.confirm_duplicates,
        )
    except matching.DuplicateFound as exc:
        return _duplicate_answer(request, exc)
    return Status(201, CustomerOut.from_model(customer))


@router.get("/customers/{customer_id}", response=CustomerOut, summary="A customer's profile (audited)")
def get_customer(request: AppRequest, customer_id: uuid.UUID) -> CustomerOut:
    return CustomerOut.from_model(selectors.get_customer(ctx_of(request), customer_id, with_followups=False))


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, 202: SubmittedOut, 409: DuplicateErrorOut},
    summary="Change a customer (202: a sensitive field, clearing core or a new owner waits for approval)",
)
def update_customer(request: AppRequest, customer_id: uuid.UUID, payload: CustomerPatch) -> Status[Any]:
    sent: dict[str, Any] = payload.model_dump(exclude_unset=True)
    changes = {k: ("" if v is None and k != "birth_date" else v) for k, v in sent.items() if k not in _CONTROL}
    try:
        customer = profiles.update_customer(
            ctx=ctx_of(request),
            customer_id=customer_id,
            changes=changes,
            custom=sent.get("custom"),
            tags=sent.get("tags"),
            owner_id=sent.get("owner_id"),
            expected_version=sent.get("version"),
            accept_uscc_checksum_failure=bool(sent.get("accept_uscc_checksum_failure")),
            confirm_duplicates=bool(sent.get("confirm_duplicates")),
        )
    except matching.DuplicateFound as exc:
        return _duplicate_answer(request, exc)
    if customer.change_requests:
        return Status(202, SubmittedOut.of(customer.change_requests))
    return Status(200, CustomerOut.from_model(customer))


@router.post("/customers/{customer_id}/reveal", response=RevealOut, summary="Reveal masked fields (audited, one event per field)")
def reveal_fields(request: AppRequest, customer_id: uuid.UUID, payload: RevealIn) -> RevealOut:
    return RevealOut(values=selectors.reveal_fields(ctx_of(request), customer_id, payload.fields))


@router.post(
    "/customers/{customer_id}/clear-core",
    response={202: SubmittedOut},
    summary="Propose clearing the core flag (compliance; another compliance officer approves)",
)
def clear_core(request: AppRequest, customer_id: uuid.UUID) -> Status[Any]:
    change_request = protection.clear_core(ctx=ctx_of(request), customer_id=customer_id)
    return Status(202, SubmittedOut.of([change_request]))


@router.delete("/customers/{customer_id}", response={204: None}, summary="Delete a prospect entered in error")
def delete_customer(request: AppRequest, customer_id: uuid.UUID) -> Status[Any]:
    profiles.delete_customer(ctx=ctx_of(request), customer_id=customer_id)
    return Status(204, None)


@router.get("/customers/{customer_id}/followups", response=FollowUpPageOut, summary="A customer's follow-ups")
def list_followups(request: AppRequest, customer_id: uuid.UUID, page: int = 1) -> FollowUpPageOut:
    items, total = selectors.list_followups(ctx_of(request), customer_id, page=max(1, page))
    return FollowUpPageOut(items=[FollowUpOut.from_model(f) for f in items], page=max(1, page), total=total)


@router.post("/customers/{customer_id}/followups", response={201: FollowUpOut}, summary="Record a follow-up")
def create_followup(request: AppRequest, customer_id: uuid.UUID, payload: FollowUpIn) -> Status[Any]:
    followup = followups.create_followup(ctx=ctx_of(request), customer_id=customer_id, data=payload.model_dump())
    return Status(201, FollowUpOut.from_model(followup))


@router.get("/followups/{followup_id}", response=FollowUpOut, summary="One follow-up")
def get_followup(request: AppRequest, followup_id: uuid.UUID) -> FollowUpOut:
    return FollowUpOut.from_model(selectors.get_followup(ctx_of(request), followup_id))


@router.patch("/followups/{followup_id}", response=FollowUpOut, summary="Correct a follow-up")
def update_followup(request: AppRequest, followup_id: uuid.UUID, payload: FollowUpPatch) -> FollowUpOut:
    followup = followups.update_followup(ctx=ctx_of(request), followup_id=followup_id, changes=payload.model_dump(exclude_unset=True))
    return FollowUpOut.from_model(followup)


@router.delete("/followups/{followup_id}", response={204: None}, summary="Delete a follow-up")
def delete_followup(request: AppRequest, followup_id: uuid.UUID) -> Status[Any]:
    followups.delete_followup(ctx=ctx_of(request), followup_id=followup_id)
    return Status(204, None)


@router.get("/custom-fields", response=list[CustomFieldOut], summary="Active custom field definitions")
def custom_fields(request: AppRequest) -> list[CustomFieldOut]:
    return [CustomFieldOut.model_validate(d, from_attributes=True) for d in CustomFieldDefinition.objects.filter(active=True)]
