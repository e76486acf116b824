"""Early warnings over JSON (issue #16): the queue, one warning with its evidence, acknowledge and close.

A ninja router the integrator mounts at ``/`` (paths ``/risk/warnings…``). The risk desk is the risk officers'
(compliance and auditors read it); a warning out of the caller's sight answers 404, as a missing one does; the
evidence is present only when the caller's plan shows ``earlywarning.evidence`` in clear.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from ninja import Field, Query, Router, Schema

from clientvault.core.capabilities import CHANGE, RISK_DESK, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import warning_selectors, warnings
from clientvault.risk.warning_selectors import QueueRow

router = Router(tags=["risk"])


class WarningKind(enum.StrEnum):
    """Every indicator a warning may carry (``risk.indicators.KIND_LABELS``: internal, then the connectors')."""

    OVERDUE = "overdue"
    UTILISATION_RISING = "utilisation_rising"
    BALANCES_FALLING = "balances_falling"
    CONTACT_CHANGED = "contact_changed"
    CONTACT_DECAY = "contact_decay"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    JUDGEMENT = "judgement"
    ENFORCEMENT = "enforcement"
    DISHONEST_DEBTOR = "dishonest_debtor"
    BUSINESS_ANOMALY = "business_anomaly"
    LEGAL_REP_CHANGE = "legal_rep_change"


class WarningOut(Schema):
    id: uuid.UUID
    credit_file_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None = Field(None, description="As the caller's plan shows it (masked), or null")
    kind: WarningKind
    kind_label: str
    source: str
    severity: str
    status: str
    detected_at: dt.datetime
    handled_at: dt.datetime | None


class WarningPageOut(Schema):
    items: list[WarningOut]
    total: int
    page: int
    pages: int


class WarningDetailOut(WarningOut):
    evidence: dict[str, Any] | None = Field(None, description="The facts found; null when withheld or erased")
    notes: list[dict[str, Any]] = Field(default_factory=list)


class QueueQuery(Schema):
    status: str = Field("", description="open, acknowledged or closed")
    severity: str = Field("", description="info, warning or critical")
    page: int = Field(1, ge=1, le=100_000)


class NoteIn(Schema):
    note: str = Field("", max_length=warnings.NOTE_LENGTH, description="The risk officer's note (required to close)")


def _ctx(request: AppRequest, action: str) -> Context:
    ctx = ctx_of(request)
    if ctx.actor is None or not allows(ctx.roles, RISK_DESK, action):
        raise PermissionDenied()
    return ctx


def _out(row: QueueRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credit_file_id": row.credit_file_id,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "kind": row.kind,
        "kind_label": row.kind_label,
        "source": row.source,
        "severity": row.severity,
        "status": row.status,
        "detected_at": row.detected_at,
        "handled_at": row.handled_at,
    }


@router.get("/risk/warnings", response=WarningPageOut, summary="The early-warning queue: open first, by severity and date")
def list_warnings(request: AppRequest, query: Query[QueueQuery]) -> WarningPageOut:
    ctx = _ctx(request, VIEW)
    page = warning_selectors.warning_queue(ctx, status=query.status, severity=query.severity, page=query.page)
    return WarningPageOut(items=[WarningOut(**_out(r)) for r in page.items], total=page.total, page=page.number, pages=page.num_pages)


def _detail(ctx: Context, warning_id: uuid.UUID) -> WarningDetailOut:
    found = warning_selectors.get_warning(ctx, warning_id)
    return WarningDetailOut(**_out(found.row), evidence=found.evidence, notes=found.notes)


@router.get("/risk/warnings/{warning_id}", response=WarningDetailOut, summary="One early warning with its evidence (an audited read)")
def get_warning(request: AppRequest, warning_id: uuid.UUID) -> WarningDetailOut:
    return _detail(_ctx(request, VIEW), warning_id)


@router.post("/risk/warnings/{warning_id}/acknowledge", response=WarningDetailOut, summary="Acknowledge an open warning")
def acknowledge(request: AppRequest, warning_id: uuid.UUID, payload: NoteIn) -> WarningDetailOut:
    ctx = _ctx(request, CHANGE)
    warnings.acknowledge(ctx, warning_id, payload.note)
    return _detail(ctx, warning_id)


@router.post("/risk/warnings/{warning_id}/close", response=WarningDetailOut, summary="Close a warning, saying why")
def close(request: AppRequest, warning_id: uuid.UUID, payload: NoteIn) -> WarningDetailOut:
    ctx = _ctx(request, CHANGE)
    warnings.close(ctx, warning_id, payload.note)
    return _detail(ctx, warning_id)
