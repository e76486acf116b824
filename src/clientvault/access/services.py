"""Changes to the purpose catalogue: versioned and audited (ARCHITECTURE.md rule 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.models import Policy, PolicyChange, Purpose
from clientvault.access.policies import (
    BREAK_GLASS,
    CLASSES,
    DATA_ACTIONS,
    DATA_RESOURCES,
    MANAGE_POLICIES,
    MANAGE_PURPOSES,
    Decision,
    Scope,
    widening,
)
from clientvault.access.purposes import LegalBasis
from clientvault.core import auditing as audit
from clientvault.core import catalogue_service as catalogues
from clientvault.core import roles as R
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied, ValidationFailed


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a purpose (pure). PIPL-13: consent-based purposes need consent; no legitimate interests."""
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    for name in ("name_zh", "name_en"):
        out[name] = " ".join(str(data.get(name) or "").split())[:100]
        if not out[name]:
            errors[name] = [_("This field is required.")]
    out["legal_basis"] = data.get("legal_basis") or ""
    if out["legal_basis"] not in LegalBasis.values:
        errors["legal_basis"] = [_("Choose one of the seven legal bases of PIPL Art. 13.")]
    out["needs_consent"] = bool(data.get("needs_consent"))
    if out["legal_basis"] == LegalBasis.CONSENT and not out["needs_consent"]:
        errors["needs_consent"] = [_("A purpose based on consent needs consent.")]
    out["description"] = " ".join(str(data.get("description") or "").split())[:300]
    out["active"] = bool(data.get("active", True))
    if errors:
        raise ValidationFailed(errors)
    return out


PURPOSES = Catalogue(
    model=Purpose,
    capability=MANAGE_PURPOSES,
    changed_event="purpose.changed",
    reason_missing=_("Say why the purpose changes."),
    clean=clean,
)


def change_purpose(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> Purpose:
    """The compliance officer changes a purpose, with a reason; a new version is kept (``purpose.changed``)."""
    return catalogues.save_version(PURPOSES, ctx=ctx, key=code, data=data, reason=reason)  # type: ignore[no-any-return]


@transaction.atomic
def select_purpose(*, ctx: Context, purpose: str) -> Context:
    """The actor declares what they are working for (UI session, API request); audited.

    Break-glass is not chosen here: it is opened with a reason (``access.breakglass.start``).
    """
    if ctx.actor is None:
        raise PermissionDenied()
    if purpose == BREAK_GLASS or purpose not in engine.allowed_purposes(ctx):
        raise engine.PurposeNotAllowed()
    chosen = ctx.with_purpose(purpose)
    audit.record(chosen, "purpose.selected", object_type="access.purpose", object_id=purpose)
    return chosen


POLICY_FIELDS = Policy.EDITABLE


def policy_snapshot(row: Policy) -> dict[str, Any]:
    return row.snapshot()


def clean_policy(data: Mapping[str, Any], *, known_roles: set[str], known_purposes: set[str]) -> dict[str, Any]:
    """Validate a policy (pure). ARCHITECTURE.md rule 3: administrators reach customer data only by break-glass."""

    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    out["role"] = str(data.get("role") or "")
    if out["role"] not in known_roles:
        errors["role"] = [_("Choose a role.")]
    out["resource"] = str(data.get("resource") or "")
    if out["resource"] not in DATA_RESOURCES:
        errors["resource"] = [_("Choose a resource.")]
    actions = [a for a in DATA_ACTIONS if a in set(data.get("actions") or [])]
    if not actions or set(data.get("actions") or []) - set(DATA_ACTIONS):
        errors["actions"] = [_("Choose at least one action.")]
    out["actions"] = actions
    purposes = sorted({str(p) for p in data.get("purposes") or []})
    if not purposes or set(purposes) - known_purposes:
        errors["purposes"] = [_("Choose at least one purpose from the catalogue.")]
    out["purposes"] = purposes
    try:
        out["scope"] = int(Scope(int(data.get("scope") or 0)))
    except ValueError:
        out["scope"] = 0
    if out["scope"] == Scope.NONE:
        errors["scope"] = [_("Choose a row scope.")]
    out["max_clear_class"] = str(data.get("max_clear_class") or "")
    if out["max_clear_class"] not in ("", *CLASSES):
        errors["max_clear_class"] = [_("Choose a class.")]
    masking = {str(k): str(v) for k, v in dict(data.get("masking") or {}).items()}
    if set(masking) - set(CLASSES) or set(masking.values()) - {Decision.MASKED, Decision.WITHHELD}:
        errors["masking"] = [_("For each class above the clear one, choose masked or withheld.")]
    out["masking"] = dict(sorted(masking.items()))
    out["description"] = " ".join(str(data.get("description") or "").split())[:300]
    out["active"] = bool(data.get("active", True))
    if out["role"] == R.ADMINISTRATOR and set(purposes) - {BREAK_GLASS}:
        errors["purposes"] = [_("Administrators reach customer data only through break-glass.")]
    elif out["role"] != R.ADMINISTRATOR and BREAK_GLASS in purposes:
        # Break-glass is the administrator's audited emergency path (ARCHITECTURE.md rule 3), no one else's.
        errors["purposes"] = [_("Only administrators may be given break-glass.")]
    if errors:
        raise ValidationFailed(errors)
    return out


def _known() -> tuple[set[str], set[str]]:
    Role = apps.get_model("accounts", "Role")  # accounts sits above access (issue #12)

    return set(Role.objects.values_list("code", flat=True)), set(Purpose.objects.values_list("code", flat=True))


def _separate_duties(ctx: Context, *roles: str) -> None:
    """Nobody grants or changes what a role they hold may do."""
    if set(roles) & ctx.roles:
        raise PermissionDenied(_("You cannot change a policy of a role you hold."))


def _clean_policy(data: Mapping[str, Any]) -> dict[str, Any]:
    roles, purposes = _known()
    return clean_policy(data, known_roles=roles, known_purposes=purposes)


def _policy_duties(ctx: Context, row: Policy | None, cleaned: Mapping[str, Any]) -> None:
    _separate_duties(ctx, cleaned["role"], *([row.role] if row is not None else []))


def _propose(**kwargs: Any) -> PolicyChange:
    from clientvault.access import proposals

    return proposals.propose(**kwargs)


POLICIES = Catalogue(
    model=Policy,
    capability=MANAGE_POLICIES,
    changed_event="policy.changed",
    created_event="policy.created",
    reason_missing=_("Say why the policy changes."),
    clean=_clean_policy,
    check_duties=_policy_duties,
    widening=widening,  # wider sight: a second compliance officer decides (rule 12)
    propose=_propose,
)


@transaction.atomic
def create_policy(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> Policy | PolicyChange:
    """Add an access rule (version 1), with a reason; audited. Same checks as a change. An active rule grants
    sight, so it is proposed (``PolicyChange``) and takes effect when a second compliance officer approves."""
    catalogues.require_change(ctx, POLICIES)
    errors: dict[str, list[Any]] = {}
    code = (code or "").strip().lower()
    if not code or len(code) > 60 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        errors["code"] = [_("Use lower-case letters, digits and hyphens.")]
    elif Policy.objects.filter(code=code).exists():
        errors["code"] = [_("A policy with this code already exists.")]
    if not reason.strip():
        errors["reason"] = [_("Say why the policy changes.")]
    try:
        cleaned = _clean_policy(data)
    except ValidationFailed as exc:
        errors = {**exc.as_dict(), **errors}
        cleaned = {}
    if errors:
        raise ValidationFailed(errors)
    return catalogues.create_entry(POLICIES, ctx=ctx, key=code, cleaned=cleaned, reason=reason)  # type: ignore[no-any-return]


def change_policy(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> Policy | PolicyChange:
    """Change an access policy, with a reason; a new version is kept and the change audited (``policy.changed``).

    Separation of duties: nobody changes a policy of a role they hold themselves. A change that narrows
    sight applies at once; one that widens it (``policies.widening``) is proposed and waits for a second
    compliance officer (``access.proposals``), ARCHITECTURE.md rule 12.
    """
    return catalogues.save_version(POLICIES, ctx=ctx, key=code, data=data, reason=reason)  # type: ignore[no-any-return]
