"""What other apps read from the lifecycle (contract of issue #15): codes, dates and states, never a personal value.

``erasure_status``, ``active_holds`` and ``retention_summary`` reveal nothing personal, so they record no event
of their own: the caller's act (a rights request's fulfilment, the access package) records its event. The
certificate reads that do reveal who was erased are in ``lifecycle/certificates.py`` and are audited there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from clientvault.audit import recording as audit
from clientvault.core.capabilities import DELETION_CERTIFICATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.lifecycle.models import Category, DeletionCertificate, EndAction, Erasure, ErasureState, RetentionRule, StartEvent
from clientvault.lifecycle.queries import holds_in_force


@dataclass(frozen=True)
class ErasureOutcome:
    state: str  # "pending_approval" | "deleted" | "restricted" | "failed" (| "queued" while running)
    certificate_id: uuid.UUID | None
    change_request_id: uuid.UUID | None
    hold_bases: tuple[str, ...]  # e.g. ("aml",) when the deletion became a restriction (tell the customer why)
    error_code: str = ""


@dataclass(frozen=True)
class HoldSummary:
    id: uuid.UUID
    basis: str
    category: str  # "" = the whole customer
    reference: str
    starts_on: dt.date
    until: dt.date | None
    status: str


@dataclass(frozen=True)
class RetentionLine:
    rule_code: str
    category: str
    category_label: str
    purpose: str
    legal_basis: str
    period_months: int
    start_event: str
    start_event_label: str
    end_action: str
    end_action_label: str
    citation: str
    hold: str  # the basis of an active hold covering the category ("" when none)


# Running states are reported as "queued": the contract's consumers see one word for "in progress".
_RUNNING = {ErasureState.QUEUED, ErasureState.SHREDDED, ErasureState.ROWS_DONE}


def _outcome(erasure: Erasure) -> ErasureOutcome:
    cert = getattr(erasure, "certificate", None) if erasure.state == ErasureState.DELETED else None
    state = "queued" if erasure.state in _RUNNING else str(erasure.state)
    return ErasureOutcome(
        state=state,
        certificate_id=cert.pk if cert is not None else None,
        change_request_id=erasure.change_request_id,
        hold_bases=tuple(erasure.hold_bases or ()),
        error_code=erasure.error_code,
    )


def erasure_status(request_ref: str) -> ErasureOutcome | None:
    """Where the erasure asked for by ``request_ref`` stands; None when there is none."""
    erasure = Erasure.objects.select_related("certificate").filter(request_ref=request_ref).first()
    return _outcome(erasure) if erasure is not None else None


def active_holds(customer_id: uuid.UUID) -> list[HoldSummary]:
    """The legal holds in force on a customer: codes and dates only."""
    return [HoldSummary(h.pk, h.basis, h.category, h.reference, h.starts_on, h.until, h.status) for h in holds_in_force(customer_id)]


def retention_summary(customer_id: uuid.UUID) -> list[RetentionLine]:
    """Per data category: purpose, period, start event, end action, and the hold that keeps it (PIPL-48 explanation)."""
    holds = holds_in_force(customer_id)
    lines = []
    for rule in RetentionRule.objects.order_by("category", "code"):
        held = next((h.basis for h in holds if h.category in ("", rule.category)), "")
        lines.append(
            RetentionLine(
                rule_code=rule.code,
                category=rule.category,
                category_label=str(Category(rule.category).label) if rule.category in Category.values else rule.category,
                purpose=rule.purpose,
                legal_basis=rule.legal_basis,
                period_months=rule.period_months,
                start_event=rule.start_event,
                start_event_label=str(StartEvent(rule.start_event).label) if rule.start_event in StartEvent.values else rule.start_event,
                end_action=rule.end_action,
                end_action_label=str(EndAction(rule.end_action).label) if rule.end_action in EndAction.values else rule.end_action,
                citation=rule.citation,
                hold=held,
            )
        )
    return lines


def get_certificate(ctx: Context, certificate_id: uuid.UUID, *, download: str = "") -> DeletionCertificate:
    """One deletion certificate of the actor's legal entity (compliance, auditors); ``lifecycle.certificate_viewed``."""
    from clientvault.lifecycle import queries

    if not allows(ctx.roles, DELETION_CERTIFICATES, VIEW):
        raise PermissionDenied()
    cert: DeletionCertificate | None = queries.certificates_for(ctx).filter(pk=certificate_id).first()
    if cert is None:
        raise NotFound()
    audit.record(ctx, "lifecycle.certificate_viewed", obj=cert, customer_id=cert.customer_id, detail={"format": download or "view"})
    return cert
