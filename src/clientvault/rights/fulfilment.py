"""The worker's side of a request: create its parts and run each one idempotently (issue #15).

Each part runs in two steps: a short transaction claims it (status running, one more attempt, committed), then
one transaction does the work, stores the sealed result and marks it done with its ``rights.part_done`` event.
A ``kill -9`` in between leaves the part "running" with nothing half-written (the work's transaction rolled
back); the sweep (``rights.tasks.sweep_requests``) sees it has been running too long and runs it again. A
failure records ``rights.part_failed`` with its code and the next attempt (exponential backoff); a failed part
never shows done. The request is done only when every part is done (or refused).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.functional import Promise

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context, for_user, system_context
from clientvault.core.errors import DomainError
from clientvault.crypto import cipher
from clientvault.lifecycle import selectors as lifecycle_selectors
from clientvault.lifecycle import services as lifecycle_services
from clientvault.rights.choices import LINKED_PARTS, PARTS_OF, PartKind, PartStatus, RequestChannel, Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.rights.requests import details_of

log = logging.getLogger(__name__)
PART_MODEL = "rights.requestpart"
RUNNABLE = (Status.IN_PROGRESS, Status.WAITING)


class PartError(Exception):
    """A part could not be done; ``code`` is shown and recorded (never a value)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Outcome:
    status: str  # done | waiting
    result: bytes = b""
    ref: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    request_outcome: dict[str, Any] = field(default_factory=dict)


def _requests() -> Any:
    return RightsRequest.objects.unrestricted(reason="the worker fulfils a request (no person reads it here)")


def _parts() -> Any:
    return RequestPart.objects.unrestricted(reason="the worker runs the parts of a request")


def subject_context(request: RightsRequest) -> Context:
    """The customer's own context: their package is gathered, their consent withdrawn, as they asked."""
    return Context(
        actor=None, roles=frozenset({"data_subject"}), purpose="rights_request", channel="task", subject_ids=frozenset({request.subject_id})
    )


def handler_context(request: RightsRequest) -> Context:
    """The compliance officer handling the request, acting for it; the system when nobody has taken it yet."""
    if request.handler is not None and request.handler.is_active:
        return for_user(request.handler, channel="task", purpose="rights_request")
    return system_context(channel="task", purpose="rights_request")


def seal_result(request: RightsRequest, data: bytes) -> bytes:
    return cipher.encrypt_bytes(request.subject_id, PART_MODEL, "result", data)


def open_result(request: RightsRequest, part: RequestPart) -> bytes:
    return cipher.decrypt_bytes(request.subject_id, PART_MODEL, "result", bytes(part.result_ct))


# --- The work of each kind of part ------------------------------------------------------------------------


def _package(render: str) -> Callable[[RightsRequest, RequestPart], Outcome]:
    def run(request: RightsRequest, part: RequestPart) -> Outcome:
        from clientvault.rights import package as pkg

        package = pkg.gather(subject_context(request), request.subject_id, request_id=request.pk)
        data = getattr(pkg, render)(package)
        return Outcome(PartStatus.DONE, seal_result(request, data), detail={"bytes": len(data)})

    return run


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Promise | uuid.UUID):
        return str(value)
    return value


def _explanation(request: RightsRequest, part: RequestPart) -> Outcome:
    from clientvault.rights.explanation import explain_processing

    language = str(details_of(request).get("language") or "zh-hans")
    explained = explain_processing(subject_context(request), request.subject_id, language)
    data = json.dumps(jsonable(explained), ensure_ascii=False, indent=2).encode("utf-8")
    return Outcome(PartStatus.DONE, seal_result(request, data), detail={"bytes": len(data)})


# Every state of an erasure still on its way (lifecycle/selectors.py reports the running ones as "queued"; the
# engine's own step names are listed too): the part waits and is polled until the erasure ends.
ERASURE_IN_PROGRESS = frozenset({"pending_approval", "queued", "shredded", "rows_done"})


def _erasure_outcome(outcome: Any) -> Outcome:
    state = getattr(outcome, "state", "")
    if state in ERASURE_IN_PROGRESS:
        return Outcome(PartStatus.WAITING, ref=str(outcome.change_request_id or ""), detail={"state": state})
    if state == "deleted":
        return Outcome(PartStatus.DONE, ref=str(outcome.certificate_id or ""), detail={"state": state})
    if state == "restricted":
        # PIPL-47 / AML-34: a legal hold turns the deletion into a restriction; the customer is told the basis.
        bases = list(outcome.hold_bases)
        return Outcome(
            PartStatus.DONE,
            ref=str(outcome.certificate_id or ""),
            detail={"state": state, "hold_bases": bases},
            request_outcome={"restricted": True, "hold_bases": bases},
        )
    if state == "rejected":
        raise PartError("erasure_rejected")  # the second officer said no: compliance refuses the request (PIPL-50)
    raise PartError(str(getattr(outcome, "error_code", "") or "erasure_failed"))


def _erasure(request: RightsRequest, part: RequestPart) -> Outcome:
    if settings.CLIENTVAULT_DELETION_APPROVAL and request.handler is None:
        return Outcome(PartStatus.WAITING)  # the deletion is proposed in a compliance officer's name (take_over)
    outcome = lifecycle_services.erase_on_request(
        handler_context(request), customer_id=request.subject_id, request_ref=part.idempotency_key
    )
    return _erasure_outcome(outcome)


def _poll_erasure(request: RightsRequest, part: RequestPart) -> Outcome:
    outcome = lifecycle_selectors.erasure_status(part.idempotency_key)
    return _erasure(request, part) if outcome is None else _erasure_outcome(outcome)


def _restriction(request: RightsRequest, part: RequestPart) -> Outcome:
    lifecycle_services.restrict_on_request(
        handler_context(request), customer_id=request.subject_id, request_ref=part.idempotency_key, reason="data-subject request"
    )
    return Outcome(PartStatus.DONE)


WITHDRAWAL_CHANNEL = {RequestChannel.COUNTER: "counter", RequestChannel.PHONE: "phone", RequestChannel.LETTER: "paper"}


def _withdrawal(request: RightsRequest, part: RequestPart) -> Outcome:
    from clientvault.consents import services as consents

    purpose = str(details_of(request).get("purpose") or "")
    channel = WITHDRAWAL_CHANNEL.get(request.channel, "web")  # type: ignore[call-overload]
    try:
        consents.withdraw_consent(ctx=subject_context(request), customer_id=request.subject_id, purpose=purpose, channel=channel)
    except DomainError as exc:
        if exc.code != "nothing_to_withdraw":
            raise
        return Outcome(PartStatus.DONE, detail={"purpose": purpose, "already_withdrawn": True})  # idempotent
    return Outcome(PartStatus.DONE, detail={"purpose": purpose})


def _correction(request: RightsRequest, part: RequestPart) -> Outcome:
    """PIPL-46: the handler writes the correction through ``update_customer``; sensitive fields become change
    requests a second person decides, and the part waits for them."""
    from clientvault.customers.profiles import update_customer

    if request.handler is None:
        return Outcome(PartStatus.WAITING)  # a compliance officer takes the request over (requests.take_over)
    changes = dict(details_of(request).get("changes") or {})
    customer = update_customer(ctx=handler_context(request), customer_id=request.subject_id, changes=changes)
    pending = [str(cr.pk) for cr in getattr(customer, "change_requests", []) or []]
    if pending:
        return Outcome(PartStatus.WAITING, detail={"change_requests": pending}, request_outcome={"change_requests": pending})
    return Outcome(PartStatus.DONE, detail={"fields": sorted(changes)})


def correction_in_progress(ctx: Context, customer_id: uuid.UUID) -> bool:
    """Whether a write under the ``rights_request`` purpose is the worker writing a correction the customer asked
    for (customers/permissions.py binds the purpose to this): the task channel, the request's handler, and a live
    correction part of an open request about that customer. Staff pages and the API never pass (PIPL-46)."""
    if ctx.channel != "task" or ctx.actor_id is None:
        return False
    return bool(
        _parts()
        .filter(
            kind=PartKind.CORRECTION,
            status__in=(PartStatus.RUNNING, PartStatus.WAITING),
            request__customer_id=customer_id,
            request__handler_id=ctx.actor_id,
            request__status__in=RUNNABLE,
        )
        .exists()
    )


def _poll_correction(request: RightsRequest, part: RequestPart) -> Outcome:
    from clientvault.approvals.models import ChangeRequest

    ids = list((request.outcome or {}).get("change_requests") or [])
    if not ids:
        return _correction(request, part)
    rows = ChangeRequest.objects.unrestricted(reason="a correction waits for the change requests it opened").filter(pk__in=ids)
    statuses = set(rows.values_list("status", flat=True))
    if statuses <= {ChangeRequest.Status.APPLIED}:
        return Outcome(PartStatus.DONE, detail={"change_requests": ids})
    if statuses & set(ChangeRequest.OPEN):
        return Outcome(PartStatus.WAITING)
    raise PartError("correction_not_applied")  # rejected, withdrawn or expired: compliance refuses or re-submits


def _linked(request: RightsRequest, part: RequestPart) -> Outcome:
    """A part a person does in another app (PIPL-24: a risk officer reviews the automated decision): it waits until
    that app reports the decision (``complete_linked_part``); the worker never does it."""
    return Outcome(PartStatus.WAITING)


WORK: dict[str, Callable[[RightsRequest, RequestPart], Outcome]] = {
    PartKind.PACKAGE_PDF: _package("render_pdf"),
    PartKind.PACKAGE_JSON: _package("render_json"),
    PartKind.PACKAGE_CSV: _package("render_csv_zip"),
    PartKind.EXPLANATION: _explanation,
    PartKind.ERASURE: _erasure,
    PartKind.RESTRICTION: _restriction,
    PartKind.WITHDRAWAL: _withdrawal,
    PartKind.CORRECTION: _correction,
    PartKind.HUMAN_REVIEW: _linked,
}
POLL: dict[str, Callable[[RightsRequest, RequestPart], Outcome]] = {
    PartKind.ERASURE: _poll_erasure,
    PartKind.CORRECTION: _poll_correction,
}


# --- Orchestration --------------------------------------------------------------------------------------


def error_code(exc: BaseException) -> str:
    """An exception as a code ("ValueError" → "value_error"): its message may echo values, its class does not."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()[:50]


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, settings.CLIENTVAULT_RIGHTS_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def due_filter(now: dt.datetime) -> Q:
    """Parts the worker should run now: pending, failed with attempts left and their time come, or
    running for longer than a live worker would (abandoned by a dead one)."""
    stale = now - dt.timedelta(seconds=settings.CLIENTVAULT_RIGHTS_PART_STALE_SECONDS)
    ready = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (
        (Q(status=PartStatus.PENDING) & ready)
        | (Q(status=PartStatus.FAILED, attempts__lt=settings.CLIENTVAULT_RIGHTS_PART_MAX_ATTEMPTS) & ready)
        | Q(status=PartStatus.RUNNING, started_at__lte=stale)
        | Q(status=PartStatus.WAITING)
    )


@transaction.atomic
def ensure_parts(request_id: uuid.UUID) -> list[RequestPart]:
    request = _requests().select_for_update().get(pk=request_id)
    existing = {p.kind: p for p in _parts().filter(request=request)}
    for kind in PARTS_OF[request.kind]:
        if kind not in existing:
            existing[kind] = _parts().create(request=request, kind=kind, idempotency_key=f"rights:{request.pk}:{kind}")
    return list(existing.values())


@transaction.atomic
def _claim(part_id: uuid.UUID) -> str | None:
    """Mark a due part running (one more attempt); returns its previous status, or None if not due now."""
    now = clock.now()
    part: RequestPart | None = _parts().select_for_update().filter(due_filter(now), pk=part_id).first()
    if part is None:
        return None
    previous = str(part.status)
    if previous == PartStatus.WAITING:
        return previous  # polled, not claimed: waiting is not an attempt
    part.status, part.attempts, part.started_at = PartStatus.RUNNING, part.attempts + 1, now
    part.save(update_fields=["status", "attempts", "started_at"])
    return previous


def _execute(part_id: uuid.UUID, *, poll: bool) -> None:
    try:
        with transaction.atomic():
            part = _parts().select_for_update().get(pk=part_id)
            request = _requests().select_for_update().get(pk=part.request_id)
            if request.status not in RUNNABLE:
                return
            work = POLL.get(part.kind) if poll else WORK[part.kind]
            if work is None:
                return
            outcome = work(request, part)
            _store(request, part, outcome)
    except PartError as exc:
        _fail(part_id, exc.code)
    except DomainError as exc:
        _fail(part_id, exc.code)
    except Exception as exc:  # a code only: exception messages may echo values (no personal data in logs or rows)
        log.warning("part %s of a data-subject request failed: %s", part_id, type(exc).__name__)
        _fail(part_id, error_code(exc))


def _store(request: RightsRequest, part: RequestPart, outcome: Outcome) -> None:
    now = clock.now()
    if outcome.request_outcome:
        request.outcome = {**(request.outcome or {}), **outcome.request_outcome}
        request.save(update_fields=["outcome", "updated_at"])
    if outcome.status == PartStatus.WAITING:
        if part.status != PartStatus.WAITING:
            part.status, part.result_ref = PartStatus.WAITING, outcome.ref or part.result_ref
            part.save(update_fields=["status", "result_ref"])
        return
    part.status, part.finished_at, part.last_error, part.next_attempt_at = PartStatus.DONE, now, "", None
    part.result_ct, part.result_ref = outcome.result or part.result_ct, outcome.ref or part.result_ref
    part.save(update_fields=["status", "finished_at", "last_error", "next_attempt_at", "result_ct", "result_ref"])
    detail = {
        "request": str(request.pk),
        "part": str(part.kind),
        "attempts": part.attempts,
        "ref": part.result_ref or None,
        **outcome.detail,
    }
    audit.record(
        system_context(channel="task", purpose="rights_request"),
        "rights.part_done",
        obj=part,
        customer_id=request.customer_id,
        detail=detail,
    )


@transaction.atomic
def _fail(part_id: uuid.UUID, code: str) -> None:
    part = _parts().select_for_update().select_related("request").get(pk=part_id)
    now = clock.now()
    part.status, part.last_error = PartStatus.FAILED, code
    part.next_attempt_at = now + backoff(part.attempts)
    part.save(update_fields=["status", "last_error", "next_attempt_at"])
    detail = {"request": str(part.request_id), "part": str(part.kind), "attempts": part.attempts, "error": code}
    ctx = system_context(channel="task", purpose="rights_request")
    audit.record(ctx, "rights.part_failed", obj=part, customer_id=part.request.customer_id, outcome="failure", detail=detail)


@transaction.atomic
def settle(request_id: uuid.UUID) -> str:
    """Close the request when every part is done or refused; otherwise show whether it waits on someone."""
    request = _requests().select_for_update().get(pk=request_id)
    if request.status not in RUNNABLE:
        return str(request.status)
    statuses = list(_parts().filter(request=request).values_list("status", flat=True))
    if statuses and all(s in (PartStatus.DONE, PartStatus.REFUSED) for s in statuses):
        restricted = bool((request.outcome or {}).get("restricted"))
        request.status = Status.RESTRICTED if restricted else Status.DONE
        request.closed_at = clock.now()
        request.save(update_fields=["status", "closed_at", "updated_at"])
        detail = {"parts": len(statuses), "restricted": restricted, "hold_bases": list((request.outcome or {}).get("hold_bases") or [])}
        ctx = system_context(channel="task", purpose="rights_request")
        audit.record(ctx, "rights.request_done", obj=request, customer_id=request.customer_id, detail=detail)
    else:
        target = Status.WAITING if PartStatus.WAITING in statuses else Status.IN_PROGRESS
        if request.status != target:
            request.status = target
            request.save(update_fields=["status", "updated_at"])
    return str(request.status)


@transaction.atomic
def complete_linked_part(ctx: Context, *, request_id: uuid.UUID, part_kind: str, ref: str, detail: dict[str, Any]) -> str:
    """Mark a linked part done on the word of the person who did it (``ctx``, recorded as the actor of
    ``rights.part_done``), then settle the request. The calling app is the authority: it has checked that a person
    with the right role decided (risk.human_review.complete_human_review). Returns the request's status; a request
    already closed (refused by compliance, PIPL-50) stays as it is, and the person's decision stands in its app."""
    if part_kind not in LINKED_PARTS:
        raise ValueError(f"{part_kind!r} is not a linked part")
    request = _requests().select_for_update().get(pk=request_id)
    if request.status not in RUNNABLE:
        return str(request.status)
    ensure_parts(request_id)
    part = _parts().select_for_update().get(request=request, kind=part_kind)
    if part.status != PartStatus.DONE:
        now = clock.now()
        part.status, part.finished_at, part.last_error, part.next_attempt_at, part.result_ref = PartStatus.DONE, now, "", None, ref
        part.save(update_fields=["status", "finished_at", "last_error", "next_attempt_at", "result_ref"])
        full = {"request": str(request.pk), "part": str(part.kind), "attempts": part.attempts, "ref": ref or None, **detail}
        audit.record(ctx, "rights.part_done", obj=part, customer_id=request.customer_id, detail=full)
    return settle(request_id)


def fulfil(request_id: uuid.UUID) -> str:
    """Create the request's parts and run every part that is due; idempotent, safe to run again at any time."""
    request = _requests().filter(pk=request_id).only("status").first()
    if request is None or request.status not in RUNNABLE:
        return str(request.status) if request else "missing"
    for part in ensure_parts(request_id):
        previous = _claim(part.pk)
        if previous is None:
            continue
        _execute(part.pk, poll=previous == PartStatus.WAITING)
    return settle(request_id)


def due_requests(limit: int = 500) -> list[uuid.UUID]:
    """Open requests with a part to run or poll now (the sweep's work list)."""
    now = clock.now()
    open_ids = _requests().filter(status__in=RUNNABLE).values_list("pk", flat=True)
    with_parts = set(_parts().filter(due_filter(now), request_id__in=open_ids).values_list("request_id", flat=True)[:limit])
    without = set(_requests().filter(status=Status.IN_PROGRESS, parts__isnull=True).values_list("pk", flat=True)[:limit])
    return sorted(with_parts | without)
