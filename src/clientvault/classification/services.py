"""Changes to the field catalogue: versioned and audited (ARCHITECTURE.md rule 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.classification.catalogue import Category, JrtClass, MaskProfile
from clientvault.classification.models import FieldClassification
from clientvault.core import catalogue_service as catalogues
from clientvault.core.capabilities import MANAGE_CLASSIFICATION
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed

# What a new custom field gets unless the administrator says otherwise: the cautious choice.
CUSTOM_FIELD_DEFAULT = {
    "category": Category.OTHER,
    "jrt_class": JrtClass.C2,
    "pipl_sensitive": False,
    "gbt_sensitive": False,
    "mask_profile": MaskProfile.HIDDEN,
}


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


CLASSIFICATIONS = Catalogue(
    model=FieldClassification,
    capability=MANAGE_CLASSIFICATION,
    changed_event="classification.changed",
    reason_missing=_("Say why the classification changes."),
    clean=clean,
)


def classify(*, ctx: Context, key: str, data: Mapping[str, Any], reason: str, covered_by: Any = None) -> FieldClassification:
    """Create or change a classification in the caller's transaction, with a new version.

    The caller checked the permission (a custom field defined with its class). ``covered_by``: the caller's
    own event for the action, which the version then carries instead of a ``classification.changed``.
    """
    cleaned = clean(data)
    row = FieldClassification.objects.select_for_update().filter(key=key).first()
    if row is not None and not row.changed_fields(cleaned):
        return row
    return catalogues.write(CLASSIFICATIONS, ctx=ctx, row=row, key=key, cleaned=cleaned, reason=reason, covered_by=covered_by)


def change_classification(*, ctx: Context, key: str, data: Mapping[str, Any], reason: str) -> FieldClassification:
    """The compliance officer changes how a field is classified, with a reason (``classification.changed``)."""
    return catalogues.save_version(CLASSIFICATIONS, ctx=ctx, key=key, data=data, reason=reason)  # type: ignore[no-any-return]
