"""Every write to users, sessions, second factors and API tokens — each with its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.access.policies import CHANGE, CREATE, MANAGE_USERS, allows
from clientvault.accounts import grants
from clientvault.accounts.models import ApiToken, Department, Role, User, UserSession
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed

TOKEN_PREFIX = "cvt_"


def mfa_required(user: User) -> bool:
    """Whether the user's roles demand a TOTP second factor (settings: CLIENTVAULT_MFA_REQUIRED_ROLES)."""
    return bool(set(user.role_codes()) & set(settings.CLIENTVAULT_MFA_REQUIRED_ROLES))


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def record_login(*, ctx: Context, user: User, session_key: str) -> None:
    """Remember the session of a successful sign-in, so deactivation can end it."""
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user, "ip": ctx.ip or None})
    audit.record(ctx, "auth.login", obj=user)


@transaction.atomic
def record_login_failure(*, ctx: Context, username: str, locked: bool = False, throttled: bool = False) -> None:
    """Record a failed, locked-out or address-throttled sign-in. The typed username is kept only if it names a
    real account. Failures (not refusals) count towards the per-address throttle."""
    from clientvault.accounts import throttle

    user = User.objects.filter(username=username).first()
    detail: dict[str, Any] = {"locked_out": locked}
    if throttled:
        detail["address_throttled"] = True
    else:
        throttle.note_failure(ctx.ip or "")
    audit.record(
        ctx,
        "auth.login_failed",
        object_type="accounts.user",
        object_id=str(user.pk) if user else "",
        outcome="denied" if locked or throttled else "failed",
        actor_username=user.username if user else "",
        detail=detail,
    )


def move_session(*, user: User, old_key: str | None, new_key: str | None) -> None:
    """Keep tracking a session whose key was rotated (password change), so deactivation still ends it."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(user=user, session_key=old_key).update(session_key=new_key)


@transaction.atomic
def record_logout(*, ctx: Context, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()
    if ctx.actor is not None:
        audit.record(ctx, "auth.logout", obj=ctx.actor)


@transaction.atomic
def set_language(*, ctx: Context, user: User, language: str) -> None:
    """Remember the user's interface language (a write, so a service: it was a selector until the probe, #11)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        audit.record(ctx, "user.updated", obj=user, fields=["language"])


@transaction.atomic
def record_mfa(*, ctx: Context, user: User, ok: bool) -> None:
    audit.record(ctx, "auth.mfa_verified" if ok else "auth.mfa_failed", obj=user, outcome="success" if ok else "failed")


@transaction.atomic
def start_totp_enrolment(*, ctx: Context, user: User) -> TOTPDevice:
    """Create (or reuse) the unconfirmed TOTP device shown to the user as a QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def confirm_totp_enrolment(*, ctx: Context, user: User, token: str) -> bool:
    """Confirm the pending device with a first code; other devices are removed."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        audit.record(ctx, "auth.mfa_failed", obj=user, outcome="failed")
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(ctx, "auth.mfa_enrolled", obj=user)
    return True


@transaction.atomic
def change_password(*, ctx: Context, user: User, old_password: str, new_password: str) -> None:
    """Change the actor's own password after checking the old one and the policy."""
    if ctx.actor is None or ctx.actor.pk != user.pk:
        raise PermissionDenied()
    if not user.check_password(old_password):
        raise ValidationFailed({"old_password": [_("The current password is not correct.")]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed({"new_password": list(exc.messages)}) from None
    was_temporary = user.must_change_password
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record(ctx, "auth.password_changed", obj=user, detail={"replaced_temporary": True} if was_temporary else None)


def _require_admin(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, MANAGE_USERS, action):
        raise PermissionDenied()


def _clean_user(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    if creating:
        username = str(data.get("username") or "").strip()
        if not username or len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
            errors["username"] = [_("Use letters, digits and @ . + - _ only.")]
        elif User.objects.filter(username=username).exists():
            errors["username"] = [_("This username is taken.")]
        out["username"] = username
    out["display_name"] = " ".join(str(data.get("display_name") or "").split())[:100]
    email = str(data.get("email") or "").strip().lower()
    if email and ("@" not in email or len(email) > 254):
        errors["email"] = [_("Enter a valid e-mail address.")]
    out["email"] = email
    dept = None
    try:
        dept = Department.objects.filter(pk=uuid.UUID(str(data.get("department_id")))).first()
    except ValueError:
        dept = None
    if dept is None:
        errors["department_id"] = [_("Choose a department.")]
    out["department"] = dept
    codes: Sequence[str] = data.get("roles") or []
    roles = list(Role.objects.filter(code__in=codes))
    if not roles or len(roles) != len(set(codes)):
        errors["roles"] = [_("Choose at least one valid role.")]
    out["roles"] = roles
    if errors:
        raise ValidationFailed(errors)
    return out


@transaction.atomic
def create_user(*, ctx: Context, data: dict[str, Any], password: str) -> User:
    """Create a staff user in a department with roles and an initial password."""
    _require_admin(ctx, CREATE)
    clean = _clean_user(data, creating=True)
    roles = clean.pop("roles")
    user = User(**clean)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from None
    grants.check_separation(r.code for r in roles)
    user.set_password(password)
    user.save()
    change = grants.change_roles(ctx=ctx, user=user, wanted=roles)  # data roles wait for compliance (rule 12)
    detail: dict[str, Any] = {"role_codes": change.held}
    if change.requested:
        detail["requested_role_codes"] = change.requested
    audit.record(ctx, "user.created", obj=user, detail=detail)
    return user


@transaction.atomic
def update_user(*, ctx: Context, user_id: int, data: dict[str, Any]) -> User:
    """Change a user's name, e-mail, department or roles."""
    _require_admin(ctx, CHANGE)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    clean = _clean_user(data, creating=False)
    roles = clean.pop("roles")
    changed = [f for f, v in clean.items() if getattr(user, f) != v]
    if set(user.role_codes()) == {r.code for r in roles}:
        change = grants.RoleChange(held=user.role_codes(), requested=[], changed=False)
    else:  # removals at once, data roles as pending grants, never one's own (rule 12)
        change = grants.change_roles(ctx=ctx, user=user, wanted=roles)
    if change.changed:
        changed.append("roles")
    if not changed:
        return user
    for field, value in clean.items():
        setattr(user, field, value)
    user.save()
    audit.record(ctx, "user.updated", obj=user, fields=changed, detail={"role_codes": sorted(change.held)})
    return user


def end_sessions(user: User) -> int:
    """Delete every tracked session of the user; returns how many were ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def deactivate_user(*, ctx: Context, user_id: int) -> User:
    """Deactivate a user: sessions end, API tokens are revoked, sign-in stops working."""
    _require_admin(ctx, CHANGE)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    if user.pk == ctx.actor_id:
        raise ValidationFailed({"user": [_("You cannot deactivate yourself.")]})
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = end_sessions(user)
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    audit.record(ctx, "user.deactivated", obj=user, detail={"sessions_ended": ended, "tokens_revoked": revoked})
    return user


@transaction.atomic
def reactivate_user(*, ctx: Context, user_id: int) -> User:
    _require_admin(ctx, CHANGE)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record(ctx, "user.reactivated", obj=user)
    return user


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_max_days(user: User) -> int:
    """The longest life a new token of ``user`` may have: capped (CLIENTVAULT_API_TOKEN_MFA_MAX_DAYS) when the
    user's roles require a second factor, since a token acts without it."""
    return min(366, settings.CLIENTVAULT_API_TOKEN_MFA_MAX_DAYS) if mfa_required(user) else 366


@transaction.atomic
def create_api_token(*, ctx: Context, name: str, days: int | None = None, purposes: Sequence[str] = ()) -> tuple[ApiToken, str]:
    """Create a personal API token for the actor; the secret is returned once and never stored.

    ``purposes`` limits what the token may be used for (ARCHITECTURE.md rule 3): a subset of what the
    actor's roles allow, never break-glass. A token without purposes reaches no customer data.
    """
    from clientvault.access import engine

    if ctx.actor is None:
        raise PermissionDenied()
    wanted = sorted(set(purposes))
    if set(wanted) - set(engine.allowed_purposes(ctx)):
        raise ValidationFailed({"purposes": [_("Choose purposes your role may use.")]})
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationFailed({"name": [_("Give the token a name of up to 100 characters.")]})
    longest = token_max_days(ctx.actor)
    days = days or min(settings.CLIENTVAULT_API_TOKEN_DAYS, longest)
    if not 1 <= days <= longest:
        raise ValidationFailed({"days": [_("A token of yours lives between 1 and %(n)d days.") % {"n": longest}]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken.objects.create(
        user=ctx.actor,
        name=name,
        prefix=secret[:12],
        digest=_digest(secret),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
        purposes=wanted,
    )
    audit.record(ctx, "apitoken.created", obj=token, detail={"days": days, "purposes": wanted})
    return token, secret


@transaction.atomic
def revoke_api_token(*, ctx: Context, token_id: Any) -> None:
    """Revoke one of the actor's own tokens."""
    if ctx.actor is None:
        raise PermissionDenied()
    try:
        token_id = uuid.UUID(str(token_id))
    except ValueError:
        raise NotFound() from None
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=ctx.actor).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit.record(ctx, "apitoken.revoked", obj=token)


def authenticate_token(secret: str) -> User | None:
    """The active user a live token belongs to, or None. Updates last use at most once a minute."""
    token = live_token(secret)
    return token.user if token is not None else None


def live_token(secret: str, *, annotate: Callable[[str], Mapping[str, Any]] | None = None) -> ApiToken | None:
    """The live token (with its user) a secret names, or None. ``annotate`` gets the quoted column of
    the token's user id and returns annotations to fetch in the same row (the actor's roles and facts)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = clock.now()
    tokens = ApiToken.objects.select_related("user", "user__department")
    if annotate is not None:
        quote = connection.ops.quote_name
        tokens = tokens.annotate(**annotate(f"{quote(ApiToken._meta.db_table)}.{quote(ApiToken._meta.get_field('user').column)}"))
    token = tokens.filter(digest=_digest(secret), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True).first()
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
