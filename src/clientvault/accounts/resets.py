"""An administrator's help for a user who is stuck: unlock, a temporary password, a second-factor reset.

Nobody does these to themselves. Removing the second factor of a user whose role requires one needs a second
person: an administrator asks, another administrator or a compliance officer (neither the one who asked nor
the user concerned) approves, and only then is the authenticator removed (PIPL-51 security measures:
separation of duties over access to personal data).
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.access.policies import CHANGE, MANAGE_USERS, allows
from clientvault.accounts.models import MfaResetRequest, User
from clientvault.accounts.services import end_sessions, mfa_required
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

APPROVER_ROLES = frozenset({R.ADMINISTRATOR, R.COMPLIANCE_OFFICER})
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def _target(ctx: Context, user_id: Any) -> User:
    """The user acted on, locked for the change; administrators only, never oneself."""
    if ctx.actor is None or not allows(ctx.roles, MANAGE_USERS, CHANGE):
        raise PermissionDenied()
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    if user.pk == ctx.actor_id:
        raise ValidationFailed({"user": [_("You cannot do this to your own account; ask another administrator.")]})
    return user


def _clear_lockout(user: User) -> int:
    from axes.utils import reset

    return int(reset(username=user.username))


@transaction.atomic
def unlock_user(*, ctx: Context, user_id: Any) -> User:
    """Lift the sign-in lockout of a user (every address)."""
    user = _target(ctx, user_id)
    cleared = _clear_lockout(user)
    audit.record(ctx, "user.unlocked", obj=user, detail={"attempts_cleared": cleared})
    return user


_DATA_USER_PASSWORD = _(
    "This user can see customer data: an administrator may not set a password for them. "
    "Unlock the account, or ask compliance to revoke the data role first."
)


_DATA_USER_PASSWORD = _(
    "This user can see customer data: an administrator may not set a password for them. "
    "Unlock the account, or ask compliance to revoke the data role first."
)


def temporary_password() -> str:
    """Four groups of four unambiguous letters and digits: upper, lower and digit each at least once."""
    while True:
        groups = ["".join(secrets.choice(_ALPHABET) for _i in range(4)) for _g in range(4)]
        value = "-".join(groups)
        if any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value):
            return value


@transaction.atomic
def reset_password(*, ctx: Context, user_id: Any) -> tuple[User, str]:
    """Give the user a one-time temporary password, shown once to the administrator; the user must change it at
    the next sign-in. Their sessions end and the lockout is lifted."""
    user = _target(ctx, user_id)
    if holds_data_role(user):
        # Rule 12: a password the administrator knows would let them sign in as someone who sees customer data.
        raise ValidationFailed({"user": [_DATA_USER_PASSWORD]})
    value = temporary_password()
    user.set_password(value)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    ended = end_sessions(user)
    _clear_lockout(user)
    audit.record(ctx, "user.password_reset", obj=user, detail={"sessions_ended": ended, "temporary": True})
    return user, value


def holds_data_role(user: User) -> bool:
    """Whether any of the user's roles grants customer data (accounts.grants.data_roles)."""
    from clientvault.accounts import grants

    return bool(set(user.role_codes()) & grants.data_roles())


def needs_second_person(user: User) -> bool:
    """A user whose roles require a second factor (compliance, audit, administration; the setting), or who sees
    customer data, loses it only with a second person's approval (rule 12: else the administrator who resets it
    could take the account over)."""
    return mfa_required(user) or holds_data_role(user)


def _remove_factor(ctx: Context, user: User, detail: dict[str, Any]) -> int:
    removed: int = TOTPDevice.objects.filter(user=user).delete()[0]
    ended = end_sessions(user)
    audit.record(ctx, "user.mfa_reset", obj=user, detail={**detail, "devices_removed": removed, "sessions_ended": ended})
    return removed


@transaction.atomic
def reset_mfa(*, ctx: Context, user_id: Any) -> MfaResetRequest | None:
    """Remove the user's authenticator (they enrol again at the next sign-in) — at once for a user whose role
    does not require one; otherwise a request another person must approve (returned)."""
    user = _target(ctx, user_id)
    assert ctx.actor is not None
    if not needs_second_person(user):
        _remove_factor(ctx, user, {"requested_by": ctx.actor.username, "approved_by": None})
        return None
    pending = MfaResetRequest.objects.filter(target=user, status=MfaResetRequest.Status.PENDING).first()
    if pending is not None:
        raise Conflict(_("A reset of this user's second factor already waits for approval."))
    request = MfaResetRequest.objects.create(target=user, requested_by=ctx.actor, requested_at=clock.now())
    audit.record(ctx, "user.mfa_reset_requested", obj=user, detail={"request": str(request.pk)})
    return request


def may_approve(ctx: Context) -> bool:
    return ctx.actor is not None and bool(APPROVER_ROLES & set(ctx.roles))


def pending_requests(ctx: Context) -> QuerySet[MfaResetRequest]:
    """Requests waiting for a second person (no personal data of customers)."""
    if not may_approve(ctx):
        raise PermissionDenied()
    return MfaResetRequest.objects.filter(status=MfaResetRequest.Status.PENDING).select_related("target", "requested_by")


def _pending(ctx: Context, request_id: Any) -> MfaResetRequest:
    if not may_approve(ctx):
        raise PermissionDenied()
    try:
        request_id = uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound() from None
    request = (
        MfaResetRequest.objects.select_for_update()
        .select_related("target", "requested_by")
        .filter(pk=request_id, status=MfaResetRequest.Status.PENDING)
        .first()
    )
    if request is None:
        raise NotFound()
    return request


@transaction.atomic
def approve_mfa_reset(*, ctx: Context, request_id: Any) -> MfaResetRequest:
    """The second person approves: neither the one who asked nor the user concerned. The factor goes now."""
    request = _pending(ctx, request_id)
    assert ctx.actor is not None
    if ctx.actor_id in (request.requested_by_id, request.target_id):
        raise ValidationFailed({"user": [_("Another person must approve: not the one who asked, not the user concerned.")]})
    request.status = MfaResetRequest.Status.DONE
    request.approved_by = ctx.actor
    request.decided_at = clock.now()
    request.save(update_fields=["status", "approved_by", "decided_at"])
    detail = {"request": str(request.pk), "requested_by": request.requested_by.username, "approved_by": ctx.actor.username}
    _remove_factor(ctx, request.target, detail)
    return request


@transaction.atomic
def cancel_mfa_reset(*, ctx: Context, request_id: Any) -> MfaResetRequest:
    """Turn a request down (any approver, the one who asked included); nothing is removed."""
    request = _pending(ctx, request_id)
    if ctx.actor_id == request.target_id:
        raise ValidationFailed({"user": [_("Another person must decide: not the user concerned.")]})
    request.status = MfaResetRequest.Status.CANCELLED
    request.decided_at = clock.now()
    request.save(update_fields=["status", "decided_at"])
    audit.record(ctx, "user.mfa_reset_cancelled", obj=request.target, detail={"request": str(request.pk)})
    return request
