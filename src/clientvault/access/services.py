"""Changes to the purpose catalogue: versioned and audited (ARCHITECTURE.md rule 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access.models import Purpose, PurposeVersion
from clientvault.access.policies import CHANGE, MANAGE_PURPOSES, allows
from clientvault.access.purposes import LegalBasis
from clientvault.audit import services as audit
from clientvault.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed

EDITABLE = ("name_zh", "name_en", "legal_basis", "needs_consent", "description", "active")


def snapshot(row: Purpose) -> dict[str, Any]:
    return {f: getattr(row, f) for f in EDITABLE}


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


@transaction.atomic
def change_purpose(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> Purpose:
    """The compliance officer changes a purpose, with a reason; a new version is kept."""
    if not allows(ctx.roles, MANAGE_PURPOSES, CHANGE):
        raise PermissionDenied()
    row = Purpose.objects.select_for_update().filter(code=code).first()
    if row is None:
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Say why the purpose changes.")]})
    cleaned = clean({**snapshot(row), **data})
    changed = [f for f, v in cleaned.items() if getattr(row, f) != v]
    if not changed:
        return row
    for field, value in cleaned.items():
        setattr(row, field, value)
    row.version += 1
    row.save()
    PurposeVersion.objects.create(code=code, version=row.version, snapshot=snapshot(row), reason=reason[:300], changed_by=ctx.actor)
    audit.record(ctx, "purpose.changed", obj=row, object_id=code, fields=changed, detail={"version": row.version})
    return row
