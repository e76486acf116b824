"""Changes to the field catalogue: versioned and audited (ARCHITECTURE.md rule 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE, MANAGE_CLASSIFICATION, allows
from clientvault.audit import recording as audit
from clientvault.classification.catalogue import Category, JrtClass, MaskProfile
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed

# What a new custom field gets unless the administrator says otherwise: the cautious choice.
CUSTOM_FIELD_DEFAULT = {
    "category": Category.OTHER,
    "jrt_class": JrtClass.C2,
    "pipl_sensitive": False,
    "gbt_sensitive": False,
    "mask_profile": MaskProfile.HIDDEN,
}
EDITABLE = ("label_zh", "label_en", "category", "jrt_class", "pipl_sensitive", "gbt_sensitive", "mask_profile")


def snapshot(row: FieldClassification) -> dict[str, Any]:
    return {f: getattr(row, f) for f in EDITABLE}


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a classification (pure)."""
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    for label in ("label_zh", "label_en"):
        out[label] = " ".join(str(data.get(label) or "").split())[:100]
        if not out[label]:
            errors[label] = [_("This field is required.")]
    for name, enum in (("category", Category), ("jrt_class", JrtClass), ("mask_profile", MaskProfile)):
        out[name] = data.get(name) or ""
        if out[name] not in enum.values:
            errors[name] = [_("Choose a valid value.")]
    out["pipl_sensitive"] = bool(data.get("pipl_sensitive"))
    out["gbt_sensitive"] = bool(data.get("gbt_sensitive"))
    # JR/T 0171 §6.1.4: C3 (authentication data) is never displayed, so it is always hidden.
    if out.get("jrt_class") == JrtClass.C3 and out.get("mask_profile") not in (MaskProfile.HIDDEN, ""):
        errors.setdefault("mask_profile", []).append(_("C3 data is never shown: choose “Hidden unless revealed”."))
    if errors:
        raise ValidationFailed(errors)
    return out


def classify(*, ctx: Context, key: str, data: Mapping[str, Any], reason: str = "", record_event: bool = True) -> FieldClassification:
    """Create or change a classification in the caller's transaction, with a new version.

    ``record_event=False`` when the caller's own event covers it (a custom field defined with its class).
    """
    cleaned = clean(data)
    row = FieldClassification.objects.select_for_update().filter(key=key).first()
    if row is None:
        row = FieldClassification(key=key, **cleaned)
        row.save(force_insert=True)
        changed = list(EDITABLE)
    else:
        changed = [f for f, v in cleaned.items() if getattr(row, f) != v]
        if not changed:
            return row
        for field, value in cleaned.items():
            setattr(row, field, value)
        row.version += 1
        row.save()
    FieldClassificationVersion.objects.create(
        key=key, version=row.version, snapshot=snapshot(row), reason=reason[:300], changed_by=ctx.actor
    )
    if record_event:
        audit.record(ctx, "classification.changed", obj=row, object_id=key, fields=changed, detail={"version": row.version})
    return row


@transaction.atomic
def change_classification(*, ctx: Context, key: str, data: Mapping[str, Any], reason: str) -> FieldClassification:
    """The compliance officer changes how a field is classified, with a reason."""
    if not allows(ctx.roles, MANAGE_CLASSIFICATION, CHANGE):
        raise PermissionDenied()
    if not FieldClassification.objects.filter(key=key).exists():
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Say why the classification changes.")]})
    current = snapshot(FieldClassification.objects.get(key=key))
    return classify(ctx=ctx, key=key, data={**current, **data}, reason=reason)
