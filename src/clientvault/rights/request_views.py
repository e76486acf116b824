"""What a request looks like to the pages and the API (plain data built by ``rights.selectors``)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from clientvault.rights.choices import DOWNLOADABLE, OPEN_STATUSES, PartKind
from clientvault.rights.deadlines import urgency
from clientvault.rights.models import RequestPart, RightsRequest

FILES = {
    PartKind.PACKAGE_PDF: ("application/pdf", "pdf"),
    PartKind.PACKAGE_JSON: ("application/json", "json"),
    PartKind.PACKAGE_CSV: ("application/zip", "zip"),
    PartKind.EXPLANATION: ("application/json", "json"),
}


@dataclass
class PartView:
    kind: str
    kind_label: str
    status: str
    status_label: str
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    finished_at: dt.datetime | None
    reference: str
    downloadable: bool

    @classmethod
    def of(cls, part: RequestPart) -> PartView:
        return cls(
            kind=str(part.kind),
            kind_label=str(part.get_kind_display()),
            status=str(part.status),
            status_label=str(part.get_status_display()),
            attempts=part.attempts,
            last_error=part.last_error,
            next_attempt_at=part.next_attempt_at,
            finished_at=part.finished_at,
            reference=part.result_ref,
            downloadable=part.kind in DOWNLOADABLE and part.status == "done" and bool(bytes(part.result_ct)),
        )


@dataclass
class RequestView:
    id: uuid.UUID
    kind: str
    kind_label: str
    channel: str
    channel_label: str
    jurisdiction: str
    customer_id: uuid.UUID
    received_at: dt.datetime
    status: str
    status_label: str
    due_on: dt.date | None
    outer_due_on: dt.date | None
    extended_due_on: dt.date | None
    calendar_flag: str
    urgency: str
    verification_method: str
    verified_at: dt.datetime | None
    pauses: list[dict[str, Any]]
    refusal_code: str
    closed_at: dt.datetime | None
    outcome: dict[str, Any]
    handler: str = ""
    parts: list[PartView] = field(default_factory=list)
    # Sealed values, opened only by ``get_request`` for those who may read them (None: not shown).
    text: str | None = None
    changes: dict[str, Any] | None = None
    purpose: str | None = None
    refusal_text: str | None = None
    extension_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def effective_due_on(self) -> dt.date | None:
        return self.extended_due_on or self.due_on

    @classmethod
    def of(cls, request: RightsRequest, today: dt.date, soon_days: int) -> RequestView:
        is_open = request.status in OPEN_STATUSES
        due_on, outer_due_on, flag = request.due_on, request.outer_due_on, request.calendar_flag
        if is_open and any(not p.get("to") for p in request.pauses):
            from clientvault.rights.requests import deadlines_as_of

            now = deadlines_as_of(request, today)  # paused for identity: the due date includes the pause so far
            due_on, outer_due_on, flag = now.due_on, now.outer_due_on, now.calendar_flag
        due = request.extended_due_on or due_on
        return cls(
            id=request.pk,
            kind=str(request.kind),
            kind_label=str(request.get_kind_display()),
            channel=str(request.channel),
            channel_label=str(request.get_channel_display()),
            jurisdiction=str(request.jurisdiction),
            customer_id=request.subject_id,
            received_at=request.received_at,
            status=str(request.status),
            status_label=str(request.get_status_display()),
            due_on=due_on,
            outer_due_on=outer_due_on,
            extended_due_on=request.extended_due_on,
            calendar_flag=flag,
            urgency=urgency(due, today, soon_days=soon_days, flagged=bool(flag), outer_due=outer_due_on) if is_open else "closed",
            verification_method=str(request.get_verification_method_display()) if request.verification_method else "",
            verified_at=request.verified_at,
            pauses=list(request.pauses),
            refusal_code=request.refusal_code,
            closed_at=request.closed_at,
            outcome=dict(request.outcome or {}),
            handler=request.handler.display_name if request.handler_id and request.handler else "",
        )
