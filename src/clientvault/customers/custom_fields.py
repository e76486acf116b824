"""Custom field definitions: the fields administrators add to customer profiles (ARCHITECTURE.md rule 1).

Defining or changing one checks the grant, validates, writes, classifies the field in the catalogue and
records exactly one audit event. ``field_definitions`` hands the active ones to the rules as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE, CREATE, MANAGE_CUSTOM_FIELDS
from clientvault.audit import recording as audit
from clientvault.classification import services as classification
from clientvault.classification.catalogue import custom_field_key
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, ValidationFailed
from clientvault.customers import permissions, rules
from clientvault.customers.choices import FieldType, Kind
from clientvault.customers.models import CustomFieldDefinition


def field_definitions() -> list[rules.FieldDefinition]:
    """The active custom field definitions as plain values for the rules."""
    return [
        rules.FieldDefinition(
            key=d.key,
            field_type=d.field_type,
            required=d.required,
            applies_to=d.applies_to,
            choices=tuple(str(c["value"]) for c in d.choices),
        )
        for d in CustomFieldDefinition.objects.filter(active=True)
    ]


_DEFINITION_FIELDS = ("label_zh", "label_en", "required", "choices", "applies_to", "position", "active")


def _clean_definition(data: Mapping[str, Any], field_type: str) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    for label in ("label_zh", "label_en"):
        value = " ".join(str(data.get(label) or "").split())
        if not value:
            errors[label] = [_("This field is required.")]
        elif len(value) > 100:
            errors[label] = [_("Use at most %(n)d characters.") % {"n": 100}]
        out[label] = value
    choices, choice_errors = rules.validate_choices(field_type, data.get("choices") or [])
    if choice_errors:
        errors["choices"] = choice_errors
    out["choices"] = choices
    applies_to = data.get("applies_to") or "both"
    if applies_to not in ("both", Kind.INDIVIDUAL, Kind.ORGANISATION):
        errors["applies_to"] = [_("Choose a valid value.")]
    out["applies_to"] = applies_to
    out["required"] = bool(data.get("required", False))
    out["active"] = bool(data.get("active", True))
    try:
        out["position"] = max(0, min(int(data.get("position") or 0), 1000))
    except (TypeError, ValueError):
        errors["position"] = [_("Enter a whole number.")]
    rules.raise_if(errors)
    return out


@transaction.atomic
def define_custom_field(*, ctx: Context, key: str, field_type: str, data: Mapping[str, Any]) -> CustomFieldDefinition:
    """Add a custom field to customer profiles."""
    permissions.require(ctx, MANAGE_CUSTOM_FIELDS, CREATE)
    key = (key or "").strip().lower()
    errors: dict[str, list[Any]] = {}
    if not key or not key.replace("_", "").isalnum() or not key[0].isalpha() or len(key) > 40 or not key.isascii():
        errors["key"] = [_("Use lower-case letters, digits and underscores, starting with a letter.")]
    elif CustomFieldDefinition.objects.filter(key=key).exists():
        errors["key"] = [_("A custom field with this key already exists.")]
    if field_type not in FieldType.values:
        errors["field_type"] = [_("Choose a valid type.")]
    cleaned = {}
    try:
        cleaned = _clean_definition(data, field_type)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    # Every personal-data field is classified from the moment it exists (PIPL-51, JRT0171-CLASSIFY).
    requested = {**classification.CUSTOM_FIELD_DEFAULT, **(data.get("classification") or {})}
    labelled = {**requested, "label_zh": data.get("label_zh"), "label_en": data.get("label_en")}
    try:
        classification.clean(labelled)
    except ValidationFailed as exc:
        errors.update({f"classification.{k}": v for k, v in exc.fields.items() if not k.startswith("label")})
    rules.raise_if(errors)
    definition = CustomFieldDefinition(key=key, field_type=field_type, **cleaned)
    definition.save(force_insert=True)
    jrt_class = str(classification.clean(labelled)["jrt_class"])
    event = audit.record(
        ctx, "customfield.created", obj=definition, object_id=key, detail={"field_type": field_type, "jrt_class": jrt_class.lower()}
    )
    # The field's classification is version 1 of its catalogue row, recorded by the same event.
    classification.classify(ctx=ctx, key=custom_field_key(key), data=labelled, reason="defined with the custom field", covered_by=event)
    return definition


@transaction.atomic
def update_custom_field(*, ctx: Context, key: str, data: Mapping[str, Any]) -> CustomFieldDefinition:
    """Change a custom field's labels, choices or rules; its key and type stay fixed."""
    permissions.require(ctx, MANAGE_CUSTOM_FIELDS, CHANGE)
    definition = CustomFieldDefinition.objects.select_for_update().filter(key=key).first()
    if definition is None:
        raise NotFound()
    cleaned = _clean_definition({**{f: getattr(definition, f) for f in _DEFINITION_FIELDS}, **data}, definition.field_type)
    changed = [f for f, v in cleaned.items() if getattr(definition, f) != v]
    if not changed:
        return definition
    for field, value in cleaned.items():
        setattr(definition, field, value)
    definition.save()
    audit.record(ctx, "customfield.updated", obj=definition, object_id=key, fields=changed)
    return definition
