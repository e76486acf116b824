"""Reading the audit trail: search, a customer's history, proofs and evidence packs — each read audited.

Only holders of the ``audit_trail`` capability (compliance officers, auditors) may read it. The trail holds
ids, codes and field names, never personal data, so nothing here decrypts anything; a customer's history
works from the id alone, also for customers deleted or crypto-shredded since. Searches record which
filters were used and how many events matched, never the values typed (PIPL-51: the log of who looked
at the log is part of the log).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet

from clientvault.access.policies import AUDIT_TRAIL, EXPORT, VIEW, allows
from clientvault.audit import proofs
from clientvault.audit import recording as audit
from clientvault.audit.models import AuditEvent, AuditLeaf
from clientvault.audit.rules import (
    EventFilters,
    NotSealedYet,
    TrailInconsistent,
    check_evidence_size,
    check_format,
    require_evidence_scope,
)
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied

PER_PAGE = 50
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class EventRow:
    """One event as a list shows it, with its leaf index if the sealer has reached it."""

    event: AuditEvent
    leaf_index: int | None

    @property
    def sealed(self) -> bool:
        return self.leaf_index is not None


@dataclass
class EventPage:
    rows: list[EventRow]
    number: int
    per_page: int
    total: int
    num_pages: int
    filters: EventFilters
    # How many events an evidence pack for this filter's customer / time range would hold (None: no scope).
    evidence_count: int | None = None
    # Customers on the page whose record this viewer may open (links only where they lead somewhere).
    openable: frozenset[uuid.UUID] = frozenset()

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


@dataclass
class EvidencePack:
    """The events of one customer or time range with their inclusion proofs against the latest checkpoint."""

    generated_at: dt.datetime
    generated_by: str
    filters: EventFilters
    export_format: str
    rows: list[EventRow]
    bundle: dict[str, Any] = field(default_factory=dict)


def _require(ctx: Context, action: str) -> None:
    if not allows(ctx.roles, AUDIT_TRAIL, action):
        raise PermissionDenied()


def _filtered(filters: EventFilters) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.actor:
        qs = qs.filter(actor_username=filters.actor)
    if filters.event_type:
        qs = qs.filter(event_type=filters.event_type)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.start is not None:
        qs = qs.filter(occurred_at__gte=filters.start)
    if filters.end is not None:
        qs = qs.filter(occurred_at__lt=filters.end)
    return qs


def _rows(events: list[AuditEvent]) -> list[EventRow]:
    leaves = dict(AuditLeaf.objects.filter(event_pk__in=[e.pk for e in events]).values_list("event_pk", "index"))
    return [EventRow(event=e, leaf_index=leaves.get(e.pk)) for e in events]


def _page(qs: QuerySet[AuditEvent], filters: EventFilters, page: int, per_page: int) -> EventPage:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    paginator = Paginator(qs.order_by("-occurred_at", "-id"), per_page)
    page_obj = paginator.get_page(page)
    return EventPage(
        rows=_rows(list(page_obj.object_list)),
        number=page_obj.number,
        per_page=per_page,
        total=paginator.count,
        num_pages=paginator.num_pages,
        filters=filters,
    )


def _openable(ctx: Context, page: EventPage, also: uuid.UUID | None = None) -> None:
    """Which of the page's customers the viewer's own policy lets them open — one id query, no reveal."""
    from clientvault.customers.models import Customer

    ids = {r.event.customer_id for r in page.rows if r.event.customer_id} | ({also} if also else set())
    if not ids:
        return
    try:
        visible = Customer.objects.visible_to(ctx, VIEW).filter(pk__in=ids).values_list("pk", flat=True)
        page.openable = frozenset(visible)
    except DomainError:  # no purpose chosen: nothing to open until one is
        page.openable = frozenset()


def _evidence_filters(filters: EventFilters) -> EventFilters:
    return EventFilters(customer_id=filters.customer_id, start=filters.start, end=filters.end)


@transaction.atomic
def search_events(ctx: Context, filters: EventFilters, *, page: int = 1, per_page: int = PER_PAGE) -> EventPage:
    """One page of events matching ``filters``, newest first; records ``audit.searched``."""
    _require(ctx, VIEW)
    result = _page(_filtered(filters), filters, page, per_page)
    if filters.has_evidence_scope:
        result.evidence_count = _filtered(_evidence_filters(filters)).count()
    _openable(ctx, result)
    audit.record(
        ctx,
        "audit.searched",
        object_type="audit.auditevent",
        customer_id=filters.customer_id,
        detail={"filter_keys": filters.active_keys(), "result_count": result.total, "page": result.number},
    )
    return result


@transaction.atomic
def customer_history(ctx: Context, customer_id: uuid.UUID, page: int = 1, *, per_page: int = PER_PAGE) -> EventPage:
    """Who has seen or changed this customer: its events, newest first; records ``audit.customer_history_viewed``."""
    _require(ctx, VIEW)
    filters = EventFilters(customer_id=customer_id)
    result = _page(_filtered(filters), filters, page, per_page)
    result.evidence_count = result.total
    _openable(ctx, result, also=customer_id)
    audit.record(
        ctx,
        "audit.customer_history_viewed",
        object_type="customers.customer",
        object_id=str(customer_id),
        customer_id=customer_id,
        detail={"result_count": result.total, "page": result.number},
    )
    return result


def _prove(events: list[AuditEvent]) -> dict[str, Any]:
    try:
        return proofs.prove_many(events)
    except ValueError:  # the stored leaves do not give the signed root: never hand out a proof then
        raise TrailInconsistent() from None


@transaction.atomic
def evidence_pack(
    ctx: Context,
    customer_id: uuid.UUID | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    export_format: str = "json",
) -> EvidencePack:
    """The events of a customer and/or time range with their proofs; the export itself records
    ``audit.evidence_exported`` (format, counts, tree size)."""
    _require(ctx, EXPORT)
    check_format(export_format)
    filters = EventFilters(customer_id=customer_id, start=start, end=end)
    require_evidence_scope(filters)
    maximum = settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS
    qs = _filtered(filters)
    events = list(qs.order_by("occurred_at", "id")[: maximum + 1])
    if len(events) > maximum:
        check_evidence_size(qs.count(), maximum)
    bundle = _prove(events)
    pack = EvidencePack(
        generated_at=clock.now(),
        generated_by=ctx.actor.get_username() if ctx.actor is not None else "",
        filters=filters,
        export_format=export_format,
        rows=_rows(events),
        bundle=bundle,
    )
    audit.record(
        ctx,
        "audit.evidence_exported",
        object_type="audit.evidence_pack",
        customer_id=customer_id,
        detail={
            "format": export_format,
            "filter_keys": filters.active_keys(),
            "event_count": len(events),
            "proved_count": len(bundle["proofs"]),
            "unsealed_count": len(bundle["unsealed"]),
            "tree_size": bundle["tree_size"],
        },
    )
    return pack


@transaction.atomic
def event_proof(ctx: Context, event_id: uuid.UUID) -> dict[str, Any]:
    """One event's inclusion proof (for ``scripts/verify_audit_proof.py``); recorded as an evidence export."""
    _require(ctx, VIEW)
    event = AuditEvent.objects.filter(event_id=event_id).first()
    if event is None:
        raise NotFound()
    bundle = _prove([event])
    if not bundle["proofs"]:
        raise NotSealedYet()
    document = {**bundle["proofs"][0], "tree_size": bundle["tree_size"], "checkpoint": bundle["checkpoint"]}
    audit.record(
        ctx,
        "audit.evidence_exported",
        object_type="audit.auditevent",
        object_id=str(event.event_id),
        customer_id=event.customer_id,
        detail={"format": "proof", "event_count": 1, "proved_count": 1, "unsealed_count": 0, "tree_size": bundle["tree_size"]},
    )
    return document
