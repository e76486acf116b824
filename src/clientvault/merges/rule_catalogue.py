"""The survivorship rules as a versioned catalogue (ARCHITECTURE.md rules 9 and 12; issue #14).

Every change is a new version with its reason and one audit event, through the kernel's
``core.catalogue_service``. The rules decide whose data becomes a merged customer's record, so no change takes
effect on one person's word: ``change_rule`` records a proposal (``survivorship.change_proposed``) and a second
compliance officer approves it (``survivorship.change_approved``, then the rule's next version, written as the
proposer's: ``survivorship.changed``) or rejects it. A rule changed meanwhile makes the proposal stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.core import catalogue_service as catalogues
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, SURVIVORSHIP_RULES, allows
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers.choices import Source
from clientvault.merges.models import Rule, SurvivorshipChange, SurvivorshipRule


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole rule: a known rule, a trust order of known sources (each once), a short description."""
    errors: dict[str, list[Any]] = {}
    rule = str(data.get("rule") or "")
    if rule not in Rule.values:
        errors["rule"] = [_("Choose a survivorship rule.")]
    order = [str(s).strip() for s in (data.get("source_order") or []) if str(s).strip()]
    if any(s not in Source.values for s in order) or len(set(order)) != len(order):
        errors["source_order"] = [_("List each customer source at most once.")]
    description = " ".join(str(data.get("description") or "").split())
    if len(description) > 300:
        errors["description"] = [_("Use at most %(n)d characters.") % {"n": 300}]
    if errors:
        raise ValidationFailed(errors)
    return {"rule": rule, "source_order": order, "description": description}


def _every_change(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Rule 12: any change of whose value survives a merge is a second person's decision."""
    return sorted(k for k in after if before is None or before.get(k) != after[k])


def propose(
    *, ctx: Context, code: str, base: SurvivorshipRule | None, cleaned: Mapping[str, Any], fields: list[str], reason: str
) -> SurvivorshipChange:
    """Record the change as pending (in the caller's transaction); nothing takes effect yet."""
    if ctx.actor is None or base is None:
        raise PermissionDenied()
    if SurvivorshipChange.objects.select_for_update().filter(field=code, status=SurvivorshipChange.Status.PENDING).exists():
        raise Conflict(_("A change to this survivorship rule is already waiting for approval."), code="already_waiting")
    change = SurvivorshipChange.objects.create(
        field=code, base_version=base.version, proposed=dict(cleaned), fields=fields, reason=reason[:300],
        proposed_by=ctx.actor, proposed_at=clock.now(),
    )  # fmt: skip
    detail = {"change_id": str(change.pk), "base_version": change.base_version}
    audit.record(ctx, "survivorship.change_proposed", object_type="merges.survivorshiprule", object_id=code, fields=fields, detail=detail)
    return change


RULES = Catalogue(
    model=SurvivorshipRule,
    capability=SURVIVORSHIP_RULES,
    changed_event="survivorship.changed",
    reason_missing=_("Say why the survivorship rule changes."),
    clean=clean,
    widening=_every_change,
    propose=lambda **kw: propose(**kw),
)


def change_rule(*, ctx: Context, field: str, data: Mapping[str, Any], reason: str) -> SurvivorshipRule | SurvivorshipChange:
    """Propose a new version of a field's rule, for a second compliance officer to decide."""
    return catalogues.save_version(RULES, ctx=ctx, key=field, data=data, reason=reason)  # type: ignore[no-any-return]


def _pending(ctx: Context, change_id: Any, reason: str) -> tuple[SurvivorshipChange, str]:
    if ctx.actor is None or not allows(ctx.roles, SURVIVORSHIP_RULES, CHANGE):
        raise PermissionDenied()
    try:
        pk = uuid.UUID(str(change_id))
    except ValueError:
        raise NotFound() from None
    change = SurvivorshipChange.objects.select_for_update().filter(pk=pk).first()
    if change is None:
        raise NotFound()
    if change.status != SurvivorshipChange.Status.PENDING:
        raise Conflict(_("This change was already decided."), code="already_decided")
    if change.proposed_by_id == ctx.actor_id:
        raise PermissionDenied(_("A second compliance officer decides a change you proposed."), code="maker_is_checker")
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed({"reason": [_("Say why you decide so.")]})
    return change, reason


def _decided(ctx: Context, change: SurvivorshipChange, status: str, reason: str, event: str, **detail: Any) -> None:
    change.status, change.decided_by, change.decided_at, change.decision_reason = status, ctx.actor, clock.now(), reason
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    info = {"change_id": str(change.pk), "proposed_by": change.proposed_by_id, "decided_by": ctx.actor_id, **detail}
    audit.record(ctx, event, object_type="merges.survivorshiprule", object_id=change.field, fields=change.fields, detail=info)


@transaction.atomic
def approve(*, ctx: Context, change_id: Any, reason: str) -> SurvivorshipRule:
    """The second compliance officer approves: the proposed rule becomes the next version."""
    change, reason = _pending(ctx, change_id, reason)
    row = SurvivorshipRule.objects.select_for_update().filter(field=change.field).first()
    if row is None or row.version != change.base_version:
        raise Conflict(_("The survivorship rule changed since this was proposed; propose it again."), code="stale")
    who = {"proposed_by": change.proposed_by_id, "approved_by": ctx.actor_id}
    row = catalogues.write(
        RULES, ctx=ctx, row=row, key=change.field, cleaned=clean(change.proposed), reason=change.reason,
        changed_by=change.proposed_by, detail=who,
    )  # fmt: skip
    _decided(ctx, change, SurvivorshipChange.Status.APPROVED, reason, "survivorship.change_approved", version=row.version)
    return row


@transaction.atomic
def reject(*, ctx: Context, change_id: Any, reason: str) -> SurvivorshipChange:
    change, reason = _pending(ctx, change_id, reason)
    _decided(ctx, change, SurvivorshipChange.Status.REJECTED, reason, "survivorship.change_rejected")
    return change
