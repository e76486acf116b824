"""The audit trail over JSON: search, a customer's events, one event's proof, evidence packs.

Handlers parse and delegate; ``audit.selectors`` check the capability (403 without it) and record the read.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field, WithJsonSchema

from clientvault.audit import evidence, rules, selectors
from clientvault.audit.schemas import AuditEventPageOut, EvidencePackOut, ProofOut
from clientvault.core.http import AppRequest, ctx_of

router = Router(tags=["audit"])
# ``from``/``to``: a date (a whole day in the caller's zone) or a date-time; absent means unbounded.
RangeBound = Annotated[
    str | None,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}, {"type": "null"}]}),
]
RANGE_HELP = "YYYY-MM-DD (a whole day in your time zone; `to` includes that day) or an ISO 8601 date-time (`to` exclusive)"


class EventQuery(Schema):
    customer: str = Field("", description="A customer id (UUID)")
    actor: str = Field("", max_length=150, description="A user name, exactly")
    event_type: str = Field("", max_length=60, description="A registered event type, e.g. customer.viewed")
    purpose: str = Field("", max_length=60, description="A purpose code")
    # Checked by ``rules.check_filters`` (a message in the caller's language); the schema shows the choices.
    outcome: Annotated[str, WithJsonSchema({"type": "string", "enum": ["", "success", "denied", "failed"]})] = Field(
        "", max_length=10, description="success, denied or failed (empty: any)"
    )
    from_: RangeBound = Field(None, alias="from", max_length=40, description=RANGE_HELP)
    to: RangeBound = Field(None, max_length=40, description=RANGE_HELP)
    page: int = 1
    per_page: int = Field(selectors.PER_PAGE, ge=1, le=selectors.MAX_PER_PAGE)


class PageQuery(Schema):
    page: int = 1
    per_page: int = Field(selectors.PER_PAGE, ge=1, le=selectors.MAX_PER_PAGE)


class EvidenceQuery(Schema):
    customer: str = Field("", description="A customer id (UUID)")
    from_: RangeBound = Field(None, alias="from", max_length=40, description=RANGE_HELP)
    to: RangeBound = Field(None, max_length=40, description=RANGE_HELP)
    format: Literal["json", "csv"] = Field("json", description="json or csv")


@router.get("/events", response=AuditEventPageOut, summary="Search audit events, newest first (the search is audited)")
def search_events(request: AppRequest, query: Query[EventQuery]) -> AuditEventPageOut:
    ctx = ctx_of(request)
    start, end = rules.parse_range(query.from_ or "", query.to or "", rules.actor_zone(ctx))
    filters = rules.EventFilters(
        customer_id=rules.parse_customer(query.customer),
        actor=query.actor.strip(),
        event_type=query.event_type,
        purpose=query.purpose,
        outcome=query.outcome,
        start=start,
        end=end,
    )
    page = selectors.search_events(ctx, rules.check_filters(filters), page=max(1, query.page), per_page=query.per_page)
    return AuditEventPageOut.from_page(page)


@router.get(
    "/customers/{customer_id}/events",
    response=AuditEventPageOut,
    summary="Who has seen or changed this customer (audited)",
)
def customer_events(request: AppRequest, customer_id: uuid.UUID, query: Query[PageQuery]) -> AuditEventPageOut:
    page = selectors.customer_history(ctx_of(request), customer_id, max(1, query.page), per_page=query.per_page)
    return AuditEventPageOut.from_page(page)


@router.get(
    "/events/{event_id}/proof",
    response=ProofOut,
    summary="One event's inclusion proof (404 unknown, 409 not_sealed; recorded as an evidence export)",
)
def event_proof(request: AppRequest, event_id: uuid.UUID) -> ProofOut:
    return ProofOut.model_validate(selectors.event_proof(ctx_of(request), event_id))


@router.get(
    "/evidence",
    response=EvidencePackOut,
    summary="Evidence pack for a customer and/or time range, JSON or CSV with proofs (the export is audited)",
    # format=csv answers text/csv: one self-contained row per event (audit/evidence.py as_csv).
    openapi_extra={
        "responses": {
            200: {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/EvidencePackOut"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def evidence_pack(request: AppRequest, query: Query[EvidenceQuery]) -> HttpResponse:
    ctx = ctx_of(request)
    start, end = rules.parse_range(query.from_ or "", query.to or "", rules.actor_zone(ctx))
    pack = selectors.evidence_pack(ctx, rules.parse_customer(query.customer), start, end, export_format=query.format)
    return evidence.response(pack)
