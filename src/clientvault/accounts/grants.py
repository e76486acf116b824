"""Role grants (ARCHITECTURE.md rule 12, "nobody widens their own sight").

* Nobody changes their own roles.
* A *data role* — one that holds an access policy on customer or follow-up rows for any purpose but
  break-glass — is never held together with the administrator role: administrators reach customer data
  only through the audited break-glass path (rule 3).
* Giving a data role needs a second person: the administrator's change opens a pending ``RoleGrant``
  (``role_grant.requested``); a compliance officer who is neither the requester nor the grantee approves
  (``role_grant.approved``, the grant then takes effect) or rejects it (``role_grant.rejected``).
* Other roles are given at once; removing any role takes effect at once (that narrows sight).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import BREAK_GLASS, CHANGE, DATA_RESOURCES, ROLE_GRANTS, VIEW, allows
from clientvault.accounts.grant_models import RoleGrant
from clientvault.accounts.models import Role, User
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def data_roles() -> frozenset[str]:
    """Roles that hold a policy on customer data (active or not: an inactive rule can be switched on),
    break-glass rules aside."""
    from clientvault.access.models import Policy

    rows = Policy.objects.filter(resource__in=DATA_RESOURCES).values_list("role", "purposes")
    return frozenset(role for role, purposes in rows if set(purposes or ()) - {BREAK_GLASS})


def check_separation(codes: Iterable[str], *, data: frozenset[str] | None = None) -> None:
    """An administrator account holds no data role (rule 3): refuse the combination."""
    codes = set(codes)
    data = data_roles() if data is None else data
    if R.ADMINISTRATOR in codes and codes & data:
        raise ValidationFailed({"roles": [_("An administrator account cannot hold a role that grants customer data.")]})


@dataclass(frozen=True)
class RoleChange:
    held: list[str]  # the roles held after the change
    requested: list[str]  # data roles now waiting for approval
    changed: bool  # whether the held roles changed


def change_roles(*, ctx: Context, user: User, wanted: Sequence[Role]) -> RoleChange:
    """Bring ``user``'s roles towards ``wanted`` in the caller's transaction: removals and non-data roles
    at once, data roles as pending grants. The caller records ``user.created``/``user.updated``."""
    if ctx.actor is None:
        raise PermissionDenied()
    if user.pk is not None and user.pk == ctx.actor.pk:
        raise ValidationFailed({"roles": [_("Nobody may change their own roles.")]})
    data = data_roles()
    held = {r.code: r for r in user.roles.all()}
    want = {r.code: r for r in wanted}
    check_separation(want, data=data)
    pending = set(RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING).values_list("role__code", flat=True))
    if R.ADMINISTRATOR in want and pending & data:
        raise ValidationFailed({"roles": [_("An administrator account cannot hold a role that grants customer data.")]})
    removed = [held[c] for c in held if c not in want]
    added_now = [want[c] for c in want if c not in held and c not in data]
    if removed:
        user.roles.remove(*removed)
    if added_now:
        user.roles.add(*added_now)
    requested = []
    for code in sorted(c for c in want if c not in held and c in data):
        if code in pending:
            continue
        grant = RoleGrant.objects.create(user=user, role=want[code], requested_by=ctx.actor, requested_at=clock.now())
        audit.record(ctx, "role_grant.requested", obj=grant, detail={"user_id": user.pk, "role": code})
        requested.append(code)
    user._role_codes = None  # type: ignore[assignment]
    after = sorted((set(held) - {r.code for r in removed}) | {r.code for r in added_now})
    return RoleChange(held=after, requested=requested, changed=bool(removed or added_now))


def pending_codes(user: User) -> list[str]:
    return sorted(RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING).values_list("role__code", flat=True))


def _require_checker(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, ROLE_GRANTS, action):
        raise PermissionDenied()


def grants_for_review(ctx: Context) -> tuple[QuerySet[RoleGrant], QuerySet[RoleGrant]]:
    """Pending grants, and the last fifty decided ones (no customer data here)."""
    _require_checker(ctx, VIEW)
    base = RoleGrant.objects.select_related("user", "role", "requested_by", "decided_by")
    return base.filter(status=RoleGrant.Status.PENDING).order_by("requested_at"), base.exclude(status=RoleGrant.Status.PENDING).order_by(
        "-decided_at"
    )[:50]


def _pending_grant(ctx: Context, grant_id: Any, reason: str) -> tuple[RoleGrant, str]:
    _require_checker(ctx, CHANGE)
    try:
        pk = uuid.UUID(str(grant_id))
    except ValueError:
        raise NotFound() from None
    grant = RoleGrant.objects.select_for_update().select_related("role", "user").filter(pk=pk).first()
    if grant is None:
        raise NotFound()
    if grant.status != RoleGrant.Status.PENDING:
        raise Conflict(_("This role grant was already decided."))
    if ctx.actor_id in (grant.requested_by_id, grant.user_id):
        raise PermissionDenied(_("A role grant is decided by someone who neither asked for it nor receives it."))
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed({"reason": [_("Say why you decide so.")]})
    return grant, reason


def _decided(ctx: Context, grant: RoleGrant, status: str, reason: str, event: str) -> RoleGrant:
    grant.status = status
    grant.decided_by = ctx.actor
    grant.decided_at = clock.now()
    grant.decision_reason = reason
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    detail = {"user_id": grant.user_id, "role": grant.role.code, "requested_by": grant.requested_by_id, "decided_by": ctx.actor_id}
    audit.record(ctx, event, obj=grant, detail=detail)
    return grant


@transaction.atomic
def approve(*, ctx: Context, grant_id: Any, reason: str) -> RoleGrant:
    """A compliance officer other than the requester and the grantee approves: the role takes effect."""
    grant, reason = _pending_grant(ctx, grant_id, reason)
    user = User.objects.select_for_update().get(pk=grant.user_id)
    if not user.is_active:
        raise Conflict(_("The user is deactivated."))
    check_separation({*user.role_codes(), grant.role.code})
    user.roles.add(grant.role)
    return _decided(ctx, grant, RoleGrant.Status.APPROVED, reason, "role_grant.approved")


@transaction.atomic
def reject(*, ctx: Context, grant_id: Any, reason: str) -> RoleGrant:
    grant, reason = _pending_grant(ctx, grant_id, reason)
    return _decided(ctx, grant, RoleGrant.Status.REJECTED, reason, "role_grant.rejected")


BOOTSTRAP_ROLES = (R.ADMINISTRATOR, R.COMPLIANCE_OFFICER)


@transaction.atomic
def bootstrap_user(*, ctx: Context, data: dict[str, Any], password: str) -> User:
    """The first administrator or the first compliance officer of an installation, created by the system
    (there is nobody yet to ask or to approve). Refused once anyone holds the role; audited as
    ``user.created`` with ``bootstrap``. Every later user and data role goes through ``create_user`` and
    the grant path."""
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError

    from clientvault.accounts.services import _clean_user

    if ctx.actor is not None or "system" not in ctx.roles:
        raise PermissionDenied()
    clean = _clean_user(data, creating=True)
    roles = clean.pop("roles")
    codes = sorted(r.code for r in roles)
    if len(codes) != 1 or codes[0] not in BOOTSTRAP_ROLES or User.objects.filter(roles__code=codes[0]).exists():
        raise PermissionDenied(_("Only the first administrator or compliance officer is created by the system."))
    user = User(**clean)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from None
    user.set_password(password)
    user.save()
    user.roles.set(roles)
    audit.record(ctx, "user.created", obj=user, detail={"role_codes": codes, "bootstrap": True})
    return user
