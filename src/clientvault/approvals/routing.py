"""What the services share: the active rules, who may decide a request now, the request as its change type
sees it (``Pending``), the sealing of values, and notifications after commit.

Nothing here writes a request or records an event: the services and the deadline tasks do.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet

from clientvault.access import engine
from clientvault.accounts.models import User
from clientvault.approvals import registry
from clientvault.approvals import rules as R
from clientvault.approvals.models import ApprovalRule, ChangeRequest, Decision
from clientvault.approvals.registry import Facts, Pending
from clientvault.core import notifications
from clientvault.core.context import Context, for_user
from clientvault.core.errors import DomainError
from clientvault.crypto import cipher

log = logging.getLogger(__name__)

MODEL = "approvals.changerequest"


# --- Rules ----------------------------------------------------------------------------------------


def rule_values(row: ApprovalRule) -> R.RuleValues:
    return R.RuleValues(
        code=row.code,
        version=row.version,
        priority=row.priority,
        conditions=dict(row.conditions or {}),
        steps=list(row.steps or []),
        supervisor_threshold_minor=row.supervisor_threshold_minor,
        supervisor_roles=list(row.supervisor_roles or []),
        sla_working_days=row.sla_working_days,
        escalate_to=list(row.escalate_to or []),
        expire_after_days=row.expire_after_days,
    )


def active_rules(change_type: str) -> list[R.RuleValues]:
    return [rule_values(r) for r in ApprovalRule.objects.filter(change_type=change_type, active=True)]


def rule_for(change_type: str, facts: Facts) -> R.RuleValues | None:
    return R.choose(active_rules(change_type), facts)


# --- Sealing ----------------------------------------------------------------------------------------


def seal(request_id: uuid.UUID, subject_id: uuid.UUID, field: str, values: Mapping[str, Any]) -> bytes:
    """The values as JSON, sealed under the customer's key and bound to this request's row (rule 6)."""
    text = json.dumps(dict(values), sort_keys=True, ensure_ascii=False, default=str)
    return cipher.encrypt(subject_id, MODEL, field, text, row=request_id)


def unseal(request: ChangeRequest, field: str) -> dict[str, Any]:
    data = getattr(request, f"{field}_ct")
    return dict(json.loads(cipher.decrypt(request.subject_id, MODEL, field, bytes(data), row=request.id)))


def approver_ids(request: ChangeRequest) -> tuple[int, ...]:
    return tuple(
        Decision.objects.filter(request_id=request.id, outcome=Decision.Outcome.APPROVE)
        .order_by("id")
        .values_list("approver_id", flat=True)
    )


def pending(request: ChangeRequest, *, with_values: bool = True) -> Pending:
    """The request as its change type receives it; ``with_values=False`` leaves the values sealed (empty
    mappings), enough for ``in_scope`` which looks at the target only."""
    return Pending(
        id=request.id,
        change_type=request.change_type,
        target_type=request.target_type,
        target_id=request.target_id,
        field_key=request.field_key,
        subject_id=request.subject_id,
        values=unseal(request, "values") if with_values else {},
        before=unseal(request, "before") if with_values else {},
        fingerprint=request.fingerprint,
        facts=Facts.from_dict(request.facts),
        maker_id=request.maker_id,
        fields=tuple(request.fields or ()),
        approver_ids=approver_ids(request),
    )


# --- Who may decide ------------------------------------------------------------------------------


def legal_entity_of(user: User | None) -> uuid.UUID | None:
    if user is None or user.department_id is None:
        return None
    return user.department.legal_entity_id if user.department is not None else None


def stage_approvals(request: ChangeRequest, stage: int | None = None) -> list[tuple[str, int]]:
    n = request.stage if stage is None else stage
    rows = Decision.objects.filter(request_id=request.id, stage=n, outcome=Decision.Outcome.APPROVE)
    return [(role, st) for role, st in rows.values_list("approver_role", "stage")]


def waiting_roles(request: ChangeRequest) -> list[str]:
    """The roles that may still approve the current stage (steps short of their approvals)."""
    done = stage_approvals(request)
    roles: list[str] = []
    for step in request.stage_steps():
        if sum(1 for role, _s in done if role in step["roles"]) < int(step["required"]):
            roles += [r for r in step["roles"] if r not in roles]
    return roles


def in_scope(ctx: Context, request: ChangeRequest) -> bool:
    """The change type's data scope: may this person see the request's target (fail closed)."""
    try:
        change_type = registry.get(request.change_type)
    except LookupError:
        return False
    return bool(change_type.in_scope(ctx, pending(request, with_values=False)))


def decider_step(ctx: Context, request: ChangeRequest) -> tuple[dict[str, Any], str] | None:
    """The step of the current stage this person would fill and the role they fill it in, or None.

    Maker ≠ checker, one decision per person, the request's legal entity, a role the stage still needs
    (ARCHITECTURE.md rule 12). ``in_scope`` is checked by the caller (outside it is 404, not 403)."""
    actor = ctx.actor
    if actor is None or not actor.is_active or request.status != ChangeRequest.Status.SUBMITTED:
        return None
    if actor.pk == request.maker_id or legal_entity_of(actor) != request.legal_entity_id:
        return None
    if Decision.objects.filter(request_id=request.id, approver_id=actor.pk).exists():
        return None
    return R.open_step(request.stage_steps(), stage_approvals(request), ctx.roles)


def eligible_users(request: ChangeRequest, roles: Iterable[str], *, check_scope: bool = True) -> list[int]:
    """Active people of the request's legal entity holding one of ``roles`` (not the maker, not those who
    decided already) and, when ``check_scope``, within the change type's scope."""
    decided = set(Decision.objects.filter(request_id=request.id).values_list("approver_id", flat=True))
    candidates: QuerySet[User] = (
        User.objects.filter(is_active=True, roles__code__in=list(roles), department__legal_entity_id=request.legal_entity_id)
        .exclude(pk=request.maker_id)
        .select_related("department")
        .distinct()
        .order_by("pk")
    )
    out: list[int] = []
    for user in candidates:
        if user.pk in decided:
            continue
        if check_scope and not _could_see(user, request):
            continue
        out.append(user.pk)
    return out


def _could_see(user: User, request: ChangeRequest) -> bool:
    """Whether the target is in this person's scope under one of the purposes they may work for (they
    choose it when they open the request; a notice must not go to someone who would get 404)."""
    base = for_user(user, channel="system")
    for purpose in engine.allowed_purposes(base) or [""]:
        try:
            if in_scope(base.with_purpose(purpose), request):
                return True
        except DomainError:  # e.g. a purpose needing consent the customer has not given
            continue
    return False


# --- Notifications ----------------------------------------------------------------------------------


def notify_on_commit(user_ids: Iterable[int], kind: str, text: str, link: str) -> None:
    """Tell people: the notification rows are written in the caller's transaction (a rolled-back decision
    notifies nobody) and the e-mails go out after commit (``core.notifications``; ARCHITECTURE.md rule 8).
    Writing the rows after commit instead made a notice that could not be written (a locked table) fail an
    approval that had already committed."""
    notifications.notify(user_ids, kind, text, link)


def request_link(request: ChangeRequest) -> str:
    return f"/approvals/{request.id}/"
