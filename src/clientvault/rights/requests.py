"""Data-subject requests (issue #15): intake, identity verification, extension, refusal, retry, deadlines.

Every write here records its audit event in the same transaction; the fulfilment of the parts is the
worker's (``rights/fulfilment.py``, task ``rights.tasks.fulfil``). RULES.md PIPL-44-48, PIPL-50, APP-15WD,
GBT35273-8.7, GDPR-12.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, CREATE, RIGHTS_REQUESTS, allows
from clientvault.core.context import Context, system_context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.crypto import cipher
from clientvault.customers.models import Customer
from clientvault.rights import deadline_defaults, deadlines, hooks
from clientvault.rights.choices import (
    LINKED_KINDS,
    OPEN_STATUSES,
    STAFF_CHANNELS,
    Jurisdiction,
    PartKind,
    PartStatus,
    RefusalCode,
    RequestChannel,
    RequestKind,
    Status,
    VerificationMethod,
)
from clientvault.rights.models import DeadlinePolicy, RequestPart, RightsRequest

MODEL = "rights.rightsrequest"
SUBJECT_ROLE = "data_subject"


def local_date(moment: dt.datetime) -> dt.date:
    """The day in the institution's time zone (Asia/Shanghai by default): deadlines count local days."""
    return timezone.localdate(moment)


def seal(request: RightsRequest, field: str, text: str) -> bytes:
    return cipher.encrypt(request.subject_id, MODEL, field, text, row=request.pk) if text else b""


def unseal(request: RightsRequest, field: str) -> str:
    blob = bytes(getattr(request, f"{field}_ct") or b"")
    return cipher.decrypt(request.subject_id, MODEL, field, blob, row=request.pk) if blob else ""


def details_of(request: RightsRequest) -> dict[str, Any]:
    """The sealed details: {"text": …, "changes": {...}, "purpose": …, "language": …}. KeyDestroyed after erasure."""
    text = unseal(request, "details")
    return dict(json.loads(text)) if text else {}


def terms_of(policy: DeadlinePolicy) -> deadlines.PolicyTerms:
    return deadlines.PolicyTerms(
        policy.unit, policy.amount, policy.outer_limit_days, policy.extension_months, policy.notify_extension_within_months
    )


def policy_for(jurisdiction: str, channel: str) -> DeadlinePolicy:
    """The policy in force (highest version) for the pair; the defaults are seeded on first use."""
    found = DeadlinePolicy.objects.filter(jurisdiction=jurisdiction, channel=channel).order_by("-version").first()
    if found is None:
        from django.apps import apps

        deadline_defaults.seed(apps, None)
        found = DeadlinePolicy.objects.filter(jurisdiction=jurisdiction, channel=channel).order_by("-version").first()
    if found is None:
        raise ValidationFailed({"channel": [_("No deadline policy covers this channel.")]})
    return found


def apply_deadlines(request: RightsRequest, today: dt.date | None = None) -> None:
    """Set due_on / outer_due_on / calendar_flag from the request's policy, receipt and pauses (no save)."""
    today = today or clock.today()
    add_wd, not_covered = hooks.add_working_days_and_error()
    paused = deadlines.paused_days(request.pauses, today)
    found = deadlines.compute(
        terms_of(request.policy), local_date(request.received_at), paused=paused, add_working_days=add_wd, not_covered=not_covered
    )
    request.due_on, request.outer_due_on, request.calendar_flag = found.due_on, found.outer_due_on, found.calendar_flag
    if request.extension_notified_at is not None and request.due_on is not None:
        request.extended_due_on = deadlines.extended_due(terms_of(request.policy), request.due_on)


def deadlines_as_of(request: RightsRequest, today: dt.date) -> deadlines.Deadlines:
    """The request's deadlines counting its pauses up to ``today`` (a request still paused for identity: the due
    date moves on with every day paused so far); nothing is saved."""
    add_wd, not_covered = hooks.add_working_days_and_error()
    paused = deadlines.paused_days(request.pauses, today)
    return deadlines.compute(
        terms_of(request.policy), local_date(request.received_at), paused=paused, add_working_days=add_wd, not_covered=not_covered
    )


def day_number(day: dt.date | None) -> int | None:
    """A date as the number 20261027: audit details hold codes, ids, counts and flags (core/details.py)."""
    return day.year * 10000 + day.month * 100 + day.day if day else None


def _clock_detail(request: RightsRequest) -> dict[str, Any]:
    return {
        "due_on": day_number(request.due_on),
        "outer_due_on": day_number(request.outer_due_on),
        "calendar_flag": request.calendar_flag or None,
        "policy": f"{request.policy.jurisdiction.lower()}:{request.policy.channel}:{request.policy.version}",
    }


def _customer_for(ctx: Context, customer_id: uuid.UUID) -> Customer:
    """The customer a request is about: the portal subject's own record, or one the staff member can see
    (404 like missing otherwise)."""
    if ctx.actor is None and ctx.subject_ids:
        if customer_id not in ctx.subject_ids:
            raise NotFound()
    elif not allows(ctx.roles, RIGHTS_REQUESTS, CREATE):
        raise PermissionDenied()
    customer = Customer.objects.visible_to(ctx).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def _clean(
    kind: str, channel: str, jurisdiction: str, changes: Mapping[str, Any] | None, purpose: str, linked: bool
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose the kind of request.")]
    elif kind in LINKED_KINDS and not linked:
        # PIPL-24: the review is asked for from the decision itself, so that it opens with the review it asks for.
        errors["kind"] = [_("A review of an automated decision is asked for from the page of that decision.")]
    if channel not in RequestChannel.values:
        errors["channel"] = [_("Choose how the request was received.")]
    if jurisdiction not in Jurisdiction.values:
        errors["jurisdiction"] = [_("Choose the jurisdiction.")]
    if kind == RequestKind.CORRECTION and not changes:
        errors["changes"] = [_("Say which values are wrong and what they should be.")]
    if kind == RequestKind.WITHDRAWAL and not purpose:
        errors["purpose"] = [_("Choose the consent to withdraw.")]
    return errors


@transaction.atomic
def submit_request(
    *,
    ctx: Context,
    customer_id: uuid.UUID,
    kind: str,
    channel: str,
    jurisdiction: str = Jurisdiction.CN,
    text: str = "",
    changes: Mapping[str, Any] | None = None,
    purpose: str = "",
    verification_method: str = "",
    language: str = "zh-hans",
    linked: bool = False,
) -> RightsRequest:
    """Receive a request (PIPL-50: a convenient mechanism). From the portal the sign-in code verified the
    person; at the counter, by phone or letter the method is recorded, and without one the clock pauses
    until identity is verified. ``linked``: the caller opens its own record with the request (``LINKED_KINDS``)."""
    portal = ctx.actor is None and bool(ctx.subject_ids)
    if portal:
        channel, verification_method = RequestChannel.PORTAL, VerificationMethod.PORTAL_CODE
    errors = _clean(kind, channel, jurisdiction, changes, purpose, linked)
    if not portal and channel not in STAFF_CHANNELS and "channel" not in errors:
        errors["channel"] = [_("Staff log requests received at the counter, by phone, letter or e-mail.")]
    if verification_method and verification_method not in VerificationMethod.values:
        errors["verification_method"] = [_("Choose how identity was verified.")]
    if errors:
        raise ValidationFailed(errors)
    customer = _customer_for(ctx, customer_id)
    now = clock.now()
    request = RightsRequest(
        kind=kind,
        channel=channel,
        jurisdiction=jurisdiction,
        customer=customer,
        subject_id=customer.pk,
        legal_entity_id=customer.legal_entity_id,
        received_at=now,
        created_by=ctx.actor,
        policy=policy_for(jurisdiction, channel),
    )
    if verification_method:
        request.verification_method, request.verified_at, request.verified_by = verification_method, now, ctx.actor
        request.status = Status.IN_PROGRESS
    else:
        request.pauses = [{"from": local_date(now).isoformat(), "to": None, "reason": "identity"}]
        request.status = Status.VERIFYING
    body = {"text": text, "changes": dict(changes or {}), "purpose": purpose, "language": language}
    request.details_ct = seal(request, "details", json.dumps(body, ensure_ascii=False, default=str))
    apply_deadlines(request)
    request.save(force_insert=True)
    detail = {
        "kind": str(kind), "channel": str(channel), "jurisdiction": str(jurisdiction).lower(), "verified": bool(verification_method),
        **_clock_detail(request),
    }  # fmt: skip
    audit.record(ctx, "rights.request_submitted", obj=request, customer_id=customer.pk, detail=detail)
    if request.status == Status.IN_PROGRESS:
        _enqueue(request.pk)
    return request


def _enqueue(request_id: uuid.UUID) -> None:
    from clientvault.rights.tasks import fulfil

    transaction.on_commit(lambda: fulfil.enqueue(str(request_id)))


def _locked(ctx: Context, request_id: uuid.UUID, action: str = CHANGE) -> RightsRequest:
    """The request locked for a decision: 404 if out of sight, 403 without the capability."""
    row: RightsRequest | None = RightsRequest.objects.visible_to(ctx).select_for_update().filter(pk=request_id).first()
    if row is None:
        raise NotFound()
    if not allows(ctx.roles, RIGHTS_REQUESTS, action):
        raise PermissionDenied()
    return row


def _require_open(request: RightsRequest) -> None:
    if request.status not in OPEN_STATUSES:
        raise Conflict(_("This request is closed."), code="request_closed")


@transaction.atomic
def verify_identity(*, ctx: Context, request_id: uuid.UUID, method: str) -> RightsRequest:
    """Record how the requester's identity was verified; the clock runs again, moved by the days paused."""
    request = _locked(ctx, request_id)
    _require_open(request)
    if method not in VerificationMethod.values or method == VerificationMethod.PORTAL_CODE:
        raise ValidationFailed({"method": [_("Choose how identity was verified.")]})
    if request.verified_at is not None:
        raise Conflict(_("Identity is already verified."), code="already_verified")
    now = clock.now()
    request.pauses = [{**p, "to": p.get("to") or local_date(now).isoformat()} for p in request.pauses]
    request.verification_method, request.verified_at, request.verified_by = method, now, ctx.actor
    request.status = Status.IN_PROGRESS
    request.handler = request.handler or ctx.actor
    apply_deadlines(request)
    request.save()
    paused = deadlines.paused_days(request.pauses, local_date(now))
    detail = {"method": str(method), "paused_days": paused, **_clock_detail(request)}
    audit.record(ctx, "rights.identity_verified", obj=request, customer_id=request.customer_id, detail=detail)
    _enqueue(request.pk)
    return request


@transaction.atomic
def extend(*, ctx: Context, request_id: uuid.UUID, reason: str) -> RightsRequest:
    """GDPR-12(3): extend by the policy's months, only if the customer is told now, within the first month, with reasons."""
    request = _locked(ctx, request_id)
    _require_open(request)
    terms = terms_of(request.policy)
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Tell the customer why the request needs more time.")]})
    if terms.extension_months <= 0:
        raise Conflict(_("This request's deadline policy allows no extension."), code="no_extension")
    if request.extension_notified_at is not None:
        raise Conflict(_("This request was already extended."), code="already_extended")
    now = clock.now()
    paused = deadlines.paused_days(request.pauses, local_date(now))
    if not deadlines.extension_allowed(terms, local_date(request.received_at), local_date(now), paused):
        raise Conflict(_("Too late: an extension must be told within the first month."), code="extension_too_late")
    request.extension_notified_at = now
    request.extension_reason_ct = seal(request, "extension_reason", reason.strip())
    apply_deadlines(request)
    request.save()
    detail = {"extended_due_on": day_number(request.extended_due_on), **_clock_detail(request)}
    audit.record(ctx, "rights.request_extended", obj=request, customer_id=request.customer_id, detail=detail)
    return request


@transaction.atomic
def refuse(*, ctx: Context, request_id: uuid.UUID, code: str, text: str) -> RightsRequest:
    """PIPL-50: refuse with a reason code and a text for the customer (who may complain or sue)."""
    request = _locked(ctx, request_id)
    _require_open(request)
    errors: dict[str, list[str]] = {}
    if code not in RefusalCode.values:
        errors["code"] = [_("Choose the reason for refusing.")]
    if not (text or "").strip():
        errors["text"] = [_("Explain the refusal to the customer.")]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    open_parts = (
        RequestPart.objects.unrestricted(reason="a refusal closes the request's unfinished parts")
        .select_for_update()
        .filter(request=request, status__in=[PartStatus.PENDING, PartStatus.FAILED, PartStatus.WAITING, PartStatus.RUNNING])
    )
    cancelled = _cancel_open_work(ctx, request, list(open_parts))  # first: an erasure under way refuses the refusal
    request.status, request.refusal_code, request.closed_at = Status.REFUSED, code, now
    request.refusal_text_ct = seal(request, "refusal_text", text.strip())
    request.pauses = [{**p, "to": p.get("to") or local_date(now).isoformat()} for p in request.pauses]
    request.save()
    closed = open_parts.update(status=PartStatus.REFUSED, finished_at=now)
    detail = {"code": code, "parts_closed": closed, "cancelled": cancelled}
    audit.record(ctx, "rights.request_refused", obj=request, customer_id=request.customer_id, detail=detail)
    return request


def _cancel_open_work(ctx: Context, request: RightsRequest, parts: list[RequestPart]) -> int:
    """A refused request leaves nothing that could still act on it (PIPL-50): the waiting erasure and its change
    request ``lifecycle.erase``, and a correction's change requests, are cancelled in the refusal's transaction,
    so no second officer can approve what the customer was told is refused. Returns how many change requests."""
    from clientvault.approvals import services as approvals
    from clientvault.lifecycle import services as lifecycle

    cancelled = 0
    for part in parts:
        if part.kind == PartKind.ERASURE:
            cancelled += lifecycle.cancel_erasure_request(ctx, request_ref=part.idempotency_key) == "rejected"
    for change_request_id in (request.outcome or {}).get("change_requests") or []:
        cancelled += approvals.cancel(ctx, change_request_id, reason="rights_request_refused") is not None
    return cancelled


@transaction.atomic
def retry_part(*, ctx: Context, request_id: uuid.UUID, part_kind: str) -> RequestPart:
    """Run a failed part again now (it keeps its idempotency key: nothing is done twice)."""
    request = _locked(ctx, request_id)
    _require_open(request)
    parts = RequestPart.objects.unrestricted(reason="retry one part of a request the actor handles")
    part = parts.select_for_update().filter(request=request, kind=part_kind).first()
    if part is None:
        raise NotFound()
    if part.status != PartStatus.FAILED:
        raise Conflict(_("Only a failed part can be retried."), code="part_not_failed")
    part.status, part.next_attempt_at = PartStatus.PENDING, clock.now()
    part.save(update_fields=["status", "next_attempt_at"])
    detail = {"part": part.kind, "attempts": part.attempts, "last_error": part.last_error}
    audit.record(ctx, "rights.part_retried", obj=part, customer_id=request.customer_id, detail=detail)
    _enqueue(request.pk)
    return part


@transaction.atomic
def recompute_deadlines(years: frozenset[int] | None = None) -> int:
    """After a calendar change: recompute the deadlines of open working-day requests (all of them, or those
    whose clock touches ``years``, or that are flagged). One audit event per run that moved a deadline, with the
    counts, when it looked at any request; a run with no open request to look at records nothing (seeding the
    calendar after ``migrate`` runs it once per year)."""
    ctx = system_context(channel="task", purpose="rights_request")
    rows = RightsRequest.objects.unrestricted(reason="a calendar change moves open requests' deadlines").select_for_update()
    changed = flagged_before = cleared = examined = 0
    for request in rows.filter(status__in=OPEN_STATUSES, policy__unit="working_days").select_related("policy"):
        touched = {local_date(request.received_at).year}
        for day in (request.due_on, request.outer_due_on):
            if day is not None:
                touched.add(day.year)
        if years is not None and not (touched & years) and not request.calendar_flag:
            continue
        examined += 1
        before = (request.due_on, request.calendar_flag)
        flagged_before += bool(request.calendar_flag)
        apply_deadlines(request)
        if (request.due_on, request.calendar_flag) != before:
            cleared += bool(before[1] and not request.calendar_flag)
            request.save(update_fields=["due_on", "outer_due_on", "calendar_flag", "extended_due_on", "updated_at"])
            changed += 1
    # Years as numbers (audit details hold codes, ids, counts and flags, not lists of numbers).
    detail = {
        "first_year": min(years) if years else None, "last_year": max(years) if years else None,
        "changed": changed, "flag_cleared": cleared, "flagged_before": flagged_before,
    }  # fmt: skip
    if examined:
        audit.record(ctx, "rights.deadlines_recomputed", object_type=MODEL, detail=detail)
    return changed


def recompute_covered_flags() -> int:
    """Open flagged requests whose every year, from receipt to the outer limit, the calendar now covers: their
    deadlines are recomputed (``recompute_deadlines``), so a calendar change whose after-commit hook was lost still
    clears them. One cheap query when nothing is flagged; nothing recorded unless some request can be cleared."""
    from clientvault.calendars.services import covered_years

    rows = RightsRequest.objects.unrestricted(reason="the sweep looks for flagged deadlines the calendar now covers")
    flagged = list(
        rows.filter(status__in=OPEN_STATUSES, policy__unit="working_days")
        .exclude(calendar_flag="")
        .values_list("received_at", "outer_due_on")
    )
    if not flagged:
        return 0
    covered = covered_years()
    years: set[int] = set()
    for received_at, outer in flagged:
        first = local_date(received_at).year
        span = set(range(first, (outer.year if outer else first) + 1))
        if span <= covered:
            years |= span
    return recompute_deadlines(frozenset(years)) if years else 0


def soon_days() -> int:
    return int(settings.CLIENTVAULT_RIGHTS_DUE_SOON_DAYS)


@transaction.atomic
def take_over(*, ctx: Context, request_id: uuid.UUID) -> RightsRequest:
    """A compliance officer takes a request: corrections are then written, and deletions proposed, in their name."""
    request = _locked(ctx, request_id)
    _require_open(request)
    if request.handler_id == ctx.actor_id:
        return request
    previous = request.handler_id
    request.handler = ctx.actor
    request.save(update_fields=["handler", "updated_at"])
    audit.record(ctx, "rights.request_taken", obj=request, customer_id=request.customer_id, detail={"previous_handler": previous})
    if request.status != Status.VERIFYING:
        _enqueue(request.pk)
    return request
