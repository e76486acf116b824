"""Maker-checker change requests: submit, decide, withdraw, and apply on the last approval (issue #13).

ARCHITECTURE.md rule 12: a change needing a second person is stored as a request, sealed under the
customer's key, routed by the approval rules (data), and applied only when others have approved it — never
by its maker (the rules here; the database triggers in ``approvals/db.py`` are the second line). Every
function leaves its ``approval.*`` event in the same transaction; notifications go out after commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import registry, routing
from clientvault.approvals import rules as R
from clientvault.approvals.models import ChangeRequest, Decision
from clientvault.approvals.registry import Facts, Proposal, Stale
from clientvault.approvals.workdays import add_working_days
from clientvault.audit import recording as audit
from clientvault.core import clock, details
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.ids import new_id

ALREADY_WAITING = _("A change request for this is already waiting")
STALE = _("The record changed after the request was made; submit it again.")


def needs_approval(change_type: str, facts: Facts) -> bool:
    """Whether an active rule routes this change to approval (no matching rule: no approval needed)."""
    return routing.rule_for(change_type, facts) is not None


def _about(request: ChangeRequest, *, with_fields: bool = False, **detail: object) -> dict[str, Any]:
    """What every ``approval.*`` event says: the request, its customer, codes — never the values."""
    return {
        "obj": request,
        "customer_id": request.subject_id,
        "fields": list(request.fields or ()) if with_fields else [],
        "detail": {"change_type": request.change_type, "rule": request.rule_code, "stage": request.stage, **detail},
    }


def _schedule(request: ChangeRequest, rule: R.RuleValues, now: dt.datetime) -> None:
    request.submitted_at = now
    request.due_at = add_working_days(now, rule.sla_working_days)
    request.expires_at = now + dt.timedelta(days=rule.expire_after_days)


def _route(request: ChangeRequest, rule: R.RuleValues) -> None:
    facts = Facts.from_dict(request.facts)
    request.rule_code, request.rule_version = rule.code, rule.version
    request.plan = R.plan(rule, facts)
    request.plan_roles = R.plan_roles(request.plan, rule.escalate_to)
    request.stage = 1


def _save_open(request: ChangeRequest, **kwargs: object) -> None:
    """Save a request entering the open set; the partial unique index refuses a second open one."""
    try:
        with transaction.atomic():
            request.save(**kwargs)  # type: ignore[arg-type]
    except IntegrityError:
        raise Conflict(ALREADY_WAITING, code="already_waiting") from None


def _notify_stage(request: ChangeRequest) -> None:
    roles = routing.waiting_roles(request)
    routing.notify_on_commit(
        routing.eligible_users(request, roles),
        "approval.waiting",
        str(_("A change request waits for your decision")),
        routing.request_link(request),
    )


def _rule_or_refuse(change_type: str, facts: Facts) -> R.RuleValues:
    rule = routing.rule_for(change_type, facts)
    if rule is None:
        raise ValidationFailed({"change_type": [_("No approval rule applies to this change.")]})
    return rule


def submit(ctx: Context, proposal: Proposal, *, reason: str, draft: bool = False) -> ChangeRequest:
    """Store a proposal as a change request waiting for approval (or as a draft), in the caller's transaction."""
    with transaction.atomic():
        if ctx.actor is None:
            raise PermissionDenied()
        try:
            registry.get(proposal.change_type)
        except LookupError:
            raise ValidationFailed({"change_type": [_("Unknown change type.")]}) from None
        rule = _rule_or_refuse(proposal.change_type, proposal.facts)
        now = clock.now()
        request = ChangeRequest(
            id=new_id(),
            change_type=proposal.change_type,
            target_type=proposal.target_type,
            target_id=str(proposal.target_id),
            field_key=proposal.field_key,
            subject_id=proposal.subject_id,
            legal_entity_id=proposal.facts.legal_entity_id,
            department_id=proposal.facts.department_id,
            status=ChangeRequest.Status.DRAFT if draft else ChangeRequest.Status.SUBMITTED,
            maker=ctx.actor,
            reason=(reason or "").strip()[:500],
            fingerprint=proposal.fingerprint,
            fields=list(proposal.fields),
            facts=proposal.facts.as_dict(),
            summary=str(proposal.summary)[:200],
        )
        request.values_ct = routing.seal(request.id, proposal.subject_id, "values", proposal.values)
        request.before_ct = routing.seal(request.id, proposal.subject_id, "before", proposal.before)
        _route(request, rule)
        if draft:
            _save_open(request, force_insert=True)
            audit.record(ctx, "approval.drafted", **_about(request, with_fields=True))
            return request
        _schedule(request, rule, now)
        _save_open(request, force_insert=True)
        audit.record(ctx, "approval.submitted", **_about(request, with_fields=True, rule_version=rule.version))
        _notify_stage(request)
        return request


def _locked(ctx: Context, request_id: uuid.UUID | str) -> ChangeRequest:
    """The request under a row lock; NotFound when the actor may not see it (rule 4: out of scope == missing)."""
    try:
        rid = uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound() from None
    request = ChangeRequest.objects.unrestricted(reason="decision: locked, then checked against the actor's sight").select_for_update()
    found = request.filter(id=rid).first()
    if found is None or not ChangeRequest.objects.visible_to(ctx).filter(id=rid).exists():
        raise NotFound()
    if found.maker_id != ctx.actor_id and not routing.in_scope(ctx, found):
        raise NotFound()
    return found


@transaction.atomic
def submit_draft(ctx: Context, request_id: uuid.UUID | str) -> ChangeRequest:
    """The maker sends their draft for approval (the rule is matched again: rules may have changed)."""
    request = _locked(ctx, request_id)
    if request.maker_id != ctx.actor_id:
        raise PermissionDenied()
    if request.status != ChangeRequest.Status.DRAFT:
        raise Conflict(_("Only a draft can be submitted."), code="not_draft")
    rule = _rule_or_refuse(request.change_type, Facts.from_dict(request.facts))
    _route(request, rule)
    _schedule(request, rule, clock.now())
    request.status = ChangeRequest.Status.SUBMITTED
    request.version += 1
    _save_open(request)
    audit.record(ctx, "approval.submitted", **_about(request, with_fields=True, rule_version=rule.version))
    _notify_stage(request)
    return request


def _decider(ctx: Context, request: ChangeRequest) -> tuple[dict[str, object], str]:
    if request.status != ChangeRequest.Status.SUBMITTED:
        raise Conflict(_("This request is no longer waiting for a decision."), code="not_waiting")
    if ctx.actor_id == request.maker_id:
        raise PermissionDenied(_("You cannot decide your own request (maker and checker must differ)."), code="maker_is_checker")
    if Decision.objects.filter(request_id=request.id, approver_id=ctx.actor_id).exists():
        raise Conflict(_("You have already decided this request."), code="already_decided")
    found = routing.decider_step(ctx, request)
    if found is None:
        raise PermissionDenied(_("You are not an approver of this stage."), code="not_an_approver")
    return found


def _decide(ctx: Context, request: ChangeRequest, role: str, outcome: str, reason: str) -> Decision:
    assert ctx.actor is not None
    return Decision.objects.create(
        request=request, stage=request.stage, approver=ctx.actor, approver_role=role, outcome=outcome, reason=reason.strip()[:500]
    )


@transaction.atomic
def approve(ctx: Context, request_id: uuid.UUID | str, *, reason: str = "") -> ChangeRequest:
    """Approve the current stage; after the last stage the change is applied in a savepoint (or fails)."""
    request = _locked(ctx, request_id)
    _step, role = _decider(ctx, request)
    _decide(ctx, request, role, Decision.Outcome.APPROVE, reason)
    now = clock.now()
    stage_complete = R.stage_done(request.stage_steps(), routing.stage_approvals(request))
    audit.record(ctx, "approval.approved", **_about(request, role=role, stage_complete=stage_complete))
    request.version += 1
    if not stage_complete:
        request.save(update_fields=["version"])
        return request
    if request.stage < request.last_stage:
        request.stage += 1
        request.save(update_fields=["stage", "version"])
        _notify_stage(request)
        return request
    request.status, request.decided_at = ChangeRequest.Status.APPROVED, now
    request.save(update_fields=["status", "decided_at", "version"])
    _apply(ctx, request)
    return request


def _apply(ctx: Context, request: ChangeRequest) -> None:
    """Hand the approved request to its change type inside a savepoint: a stale target or a refusal rolls
    back whatever apply wrote and leaves the request failed with its reason (nothing half-applied)."""
    change_type = registry.get(request.change_type)
    failure: tuple[str, str] | None = None
    codes: dict[str, list[str]] = {}
    try:
        with transaction.atomic():
            if change_type.fingerprint(request.target_id) != request.fingerprint:
                raise Stale(STALE)
            change_type.apply(ctx, routing.pending(request))
    except Stale as exc:
        failure = ("stale", str(exc.reason))
    except DomainError as exc:
        failure = (exc.code if isinstance(exc.code, str) else "refused", str(exc))
        # A refusal that names rules (credit control's ``credit_blocked``) keeps their codes in the event: the savepoint
        # rolled back whatever the refusing service would have recorded itself.
        rules = (getattr(exc, "details", None) or {}).get("rules")
        if isinstance(rules, list):
            codes["rules"] = [r for r in rules if details.is_code(r)]
    now = clock.now()
    if failure is None:
        request.status, request.applied_at = ChangeRequest.Status.APPLIED, now
        request.save(update_fields=["status", "applied_at"])
        audit.record(ctx, "approval.applied", **_about(request, with_fields=True))
        kind, text = "approval.applied", str(_("Your change request was approved and applied"))
    else:
        request.status, request.failure_reason = ChangeRequest.Status.FAILED, failure[1][:300]
        request.save(update_fields=["status", "failure_reason"])
        about = _about(request, why=failure[0])
        about["detail"] |= codes
        audit.record(ctx, "approval.failed", **about)
        kind, text = "approval.failed", str(_("Your approved change request could not be applied"))
    routing.notify_on_commit([request.maker_id], kind, text, routing.request_link(request))


def _closed(ctx: Context, request: ChangeRequest) -> None:
    """Tell a change type whose target carries a state of its own that the request ended unapplied
    (``extra["on_close"]``, design13 Changes: customers' entry review marks a rejected record), same transaction."""
    hook = registry.get(request.change_type).extra.get("on_close")
    if hook is not None:
        hook(ctx, routing.pending(request, with_values=False), request.status)


@transaction.atomic
def reject(ctx: Context, request_id: uuid.UUID | str, *, reason: str) -> ChangeRequest:
    """Reject a request waiting for this person's stage; a reason is required."""
    request = _locked(ctx, request_id)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why the request is rejected.")]})
    _step, role = _decider(ctx, request)
    _decide(ctx, request, role, Decision.Outcome.REJECT, reason)
    request.status, request.decided_at = ChangeRequest.Status.REJECTED, clock.now()
    request.version += 1
    request.save(update_fields=["status", "decided_at", "version"])
    audit.record(ctx, "approval.rejected", **_about(request, role=role))
    _closed(ctx, request)
    routing.notify_on_commit(
        [request.maker_id], "approval.rejected", str(_("Your change request was rejected")), routing.request_link(request)
    )
    return request


@transaction.atomic
def withdraw(ctx: Context, request_id: uuid.UUID | str, *, reason: str = "") -> ChangeRequest:
    """The maker takes back their draft or waiting request."""
    request = _locked(ctx, request_id)
    if request.maker_id != ctx.actor_id:
        raise PermissionDenied(_("Only the person who made the request can withdraw it."), code="not_maker")
    if request.status not in (ChangeRequest.Status.DRAFT, ChangeRequest.Status.SUBMITTED):
        raise Conflict(_("This request can no longer be withdrawn."), code="not_withdrawable")
    request.status, request.decided_at = ChangeRequest.Status.WITHDRAWN, clock.now()
    request.version += 1
    request.save(update_fields=["status", "decided_at", "version"])
    audit.record(ctx, "approval.withdrawn", **_about(request))
    _closed(ctx, request)
    return request


@transaction.atomic
def cancel(ctx: Context, request_id: uuid.UUID | str, *, reason: str) -> ChangeRequest | None:
    """Close a draft or waiting request because the ask it served was closed (a refused data-subject request,
    PIPL-50): nobody may approve it afterwards. The calling workflow has authorised the closure (it checked the
    actor's right to refuse); no maker check here. Recorded ``approval.cancelled``; the change type's
    ``on_close`` hook runs in the same transaction. Returns None when the request was already closed."""
    rows = ChangeRequest.objects.unrestricted(reason="a closed workflow cancels the change requests it opened")
    request: ChangeRequest | None = rows.select_for_update().filter(id=request_id).first()
    if request is None or request.status not in (ChangeRequest.Status.DRAFT, ChangeRequest.Status.SUBMITTED):
        return None
    request.status, request.decided_at = ChangeRequest.Status.WITHDRAWN, clock.now()
    request.version += 1
    request.save(update_fields=["status", "decided_at", "version"])
    audit.record(ctx, "approval.cancelled", **_about(request, why=reason[:50]))
    _closed(ctx, request)
    routing.notify_on_commit(
        [request.maker_id], "approval.cancelled", str(_("Your change request was cancelled")), routing.request_link(request)
    )
    return request
