"""Every write to customers, follow-ups and custom field definitions (ARCHITECTURE.md rule 1).

Each function owns its transaction, checks the actor's grant, validates through ``rules``,
writes, re-checks the row is still visible to the actor and records exactly one audit event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import (
    CHANGE,
    CREATE,
    CUSTOMER,
    DATA_RESOURCES,
    DELETE,
    MANAGE_CUSTOM_FIELDS,
    Decision,
    Scope,
    allows,
)
from clientvault.accounts import roles as R
from clientvault.accounts.models import User
from clientvault.audit import services as audit
from clientvault.classification import services as classification
from clientvault.classification.catalogue import custom_field_key
from clientvault.consents import rules as consent_rules
from clientvault.context import Context
from clientvault.core import clock
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.text import clean_text
from clientvault.crypto import fields as crypto
from clientvault.customers import disclosure, protection, rules, vault
from clientvault.customers.choices import FieldType, Kind, Status
from clientvault.customers.models import Customer, CustomFieldDefinition, Tag

MAX_TAGS = 20


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


def _require(ctx: Context, resource: str, action: str) -> None:
    if ctx.actor is None:
        raise PermissionDenied()
    if resource in DATA_RESOURCES:
        engine.require_purpose(ctx)
        if not engine.can(ctx, resource, action):
            raise PermissionDenied()
    elif not allows(ctx.roles, resource, action):
        raise PermissionDenied()


def _refuse_blind_changes(ctx: Context, customer: Customer, fields: Sequence[str], custom_keys: Sequence[str]) -> None:
    """Nobody overwrites a value they do not see in clear under their purpose (it would be written blind,
    or replaced by its masked form): such fields are refused, each with its own error."""
    views = disclosure.decisions(ctx, customer, [f for f in fields if f in (*disclosure.DISCLOSED, disclosure.TAGS)], custom_keys)
    blocked = sorted(f for f, v in views.items() if v.decision != Decision.PLAIN)
    if blocked:
        message = _("You cannot change a value you do not see in clear for this purpose.")
        raise ValidationFailed({f.replace("custom.", "custom__") if f.startswith("custom.") else f: [message] for f in blocked})


def _locked_customer(ctx: Context, customer_id: uuid.UUID, action: str, resource: str = CUSTOMER) -> Customer:
    """Lock the customer row for ``action``: 404 if out of view scope, 403 if visible but not allowed."""
    visible = Customer.objects.visible_to(ctx, "view")
    if not visible.filter(pk=customer_id).exists():
        raise NotFound()
    target = Customer.objects.visible_to(ctx, action, resource=resource)
    customer = target.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise PermissionDenied()
    return customer


def _resolve_owner(ctx: Context, owner_id: int | None, *, default: User | None) -> User:
    """The owner a new or reassigned customer gets; reps own what they create."""
    actor = ctx.actor
    assert actor is not None
    scope = engine.scope(ctx, CUSTOMER, CHANGE)
    if owner_id is None or (default is not None and owner_id == default.pk):
        owner = default or actor
        if owner.department_id is None:
            raise ValidationFailed({"owner": [_("The owner must belong to a department.")]})
        return owner
    if scope < Scope.SUBTREE:
        raise ValidationFailed({"owner": [_("Only a manager can assign customers to someone else.")]})
    candidate = (
        User.objects.filter(pk=owner_id, is_active=True, roles__code__in=[R.SALES_REP, R.SALES_MANAGER])
        .select_related("department")
        .first()
    )
    dept = actor.department
    if candidate is None or candidate.department is None or dept is None or not candidate.department.path.startswith(dept.path):
        raise ValidationFailed({"owner": [_("Choose an active sales rep or manager in your department.")]})
    return candidate


def _set_tags(customer: Customer, names: Iterable[str]) -> None:
    clean = sorted({" ".join(clean_text(n).split())[:40] for n in names if n and clean_text(n).strip()})
    if len(clean) > MAX_TAGS:
        raise ValidationFailed({"tags": [_("Use at most %(n)d tags.") % {"n": MAX_TAGS}]})
    tags = [Tag.objects.get_or_create(name=n)[0] for n in clean]
    customer.tags.set(tags)


def _validate(
    ctx: Context, *, kind: str, data: Mapping[str, Any], custom: Mapping[str, Any], accept_uscc_checksum_failure: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    cleaned, errors = rules.clean_customer(data, kind=kind, today=clock.today(), accept_uscc_checksum_failure=accept_uscc_checksum_failure)
    custom_clean, custom_errors = rules.clean_custom_values(custom, field_definitions(), kind=kind)
    rules.raise_if({**errors, **custom_errors})
    return cleaned, custom_clean


def _check_unique(customer: Customer) -> None:
    """One record per identity document / credit code within a legal entity (compared by blind index)."""
    held = Customer.objects.unrestricted(reason="one record per ID number / credit code in the legal entity, whoever owns the other")
    others = held.filter(legal_entity_id=customer.legal_entity_id).exclude(pk=customer.pk)
    if customer.id_number_bidx and others.filter(id_type=customer.id_type, id_number_bidx=customer.id_number_bidx).exists():
        raise ValidationFailed({"id_number": [_("A customer with this ID number is already registered.")]})
    if customer.uscc_bidx and others.filter(uscc_bidx=customer.uscc_bidx).exists():
        raise ValidationFailed({"uscc": [_("A customer with this credit code is already registered.")]})


# Stored in clear (codes used for filtering); everything else personal is sealed by the vault.
PLAIN_FIELDS = ("status", "source", "is_core", "id_type", "nationality", "residency", "industry", "uscc_needs_review")


def _apply(customer: Customer, values: Mapping[str, Any], custom: Mapping[str, Any] | None, *, ensure_key: bool = True) -> None:
    """Set plain fields, seal personal ones, and leave the plaintext on the instance for the caller."""
    for field in PLAIN_FIELDS:
        if field in values:
            setattr(customer, field, values[field])
    sealed = {f: values[f] for f in vault.ENCRYPTED_FIELDS if f in values}
    if custom is not None:
        sealed["custom_data"] = dict(custom)
    vault.seal(customer, sealed, ensure_key=ensure_key)
    for field, value in sealed.items():
        setattr(customer, field, value)
    if "birth_date" in values:
        customer.minor_until = consent_rules.stored_minor_until(values["birth_date"], clock.today(), settings.CLIENTVAULT_CONSENT_CHILD_AGE)


def _current_values(customer: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer's editable values in plaintext, and their custom field values (decrypted)."""
    opened = vault.unseal(customer)
    values = {f: (opened[f] if f in opened else getattr(customer, f)) for f in rules.EDITABLE_FIELDS}
    return values, dict(opened["custom_data"] or {})


def _save(customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        _check_unique(customer)
        raise


def _ensure_visible(ctx: Context, customer: Customer) -> None:
    # NetBox's habit: after a write, the row must still be inside the actor's scope.
    if not Customer.objects.visible_to(ctx, "view").filter(pk=customer.pk).exists():
        raise PermissionDenied(_("The change would move the customer outside what you may see."))


@transaction.atomic
def create_customer(
    *,
    ctx: Context,
    kind: str,
    data: Mapping[str, Any],
    custom: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    owner_id: int | None = None,
    accept_uscc_checksum_failure: bool = False,
) -> Customer:
    """Create a customer owned by the actor (or, for a manager, by a rep of their team)."""
    _require(ctx, CUSTOMER, CREATE)
    if kind not in Kind.values:
        raise ValidationFailed({"kind": [_("Choose individual or organisation.")]})
    cleaned, custom_clean = _validate(
        ctx, kind=kind, data=data, custom=custom or {}, accept_uscc_checksum_failure=accept_uscc_checksum_failure
    )
    owner = _resolve_owner(ctx, owner_id, default=None)
    assert owner.department is not None
    customer = Customer(
        kind=kind, owner=owner, department=owner.department, legal_entity_id=owner.department.legal_entity_id, created_by=ctx.actor
    )
    _apply(customer, cleaned, custom_clean)
    _check_unique(customer)
    _save(customer)
    if tags:
        _set_tags(customer, tags)
    _ensure_visible(ctx, customer)
    filled = [f for f in rules.EDITABLE_FIELDS if cleaned.get(f) not in ("", None, False)]
    audit.record(ctx, "customer.created", obj=customer, customer_id=customer.pk, fields=filled + [f"custom.{k}" for k in custom_clean])
    disclosure.present(ctx, [customer], with_custom=True)  # the caller sees the record as its policy says
    return customer


@transaction.atomic
def update_customer(
    *,
    ctx: Context,
    customer_id: uuid.UUID,
    changes: Mapping[str, Any],
    custom: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    owner_id: int | None = None,
    expected_version: int | None = None,
    accept_uscc_checksum_failure: bool = False,
) -> Customer:
    """Apply changes to a customer the actor may change; optimistic check on ``expected_version``."""
    _require(ctx, CUSTOMER, CHANGE)
    customer = _locked_customer(ctx, customer_id, CHANGE)
    if expected_version is not None and expected_version != customer.version:
        raise Conflict()
    protected = disclosure.row_facts(customer)
    unknown = set(changes) - set(rules.EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({f: [_("This field cannot be changed.")] for f in sorted(unknown)})
    current, current_custom = _current_values(customer)
    before = dict(current)
    new_type = changes.get("id_type", current["id_type"])
    if (
        customer.kind == Kind.INDIVIDUAL
        and ({"id_number", "id_type"} & set(changes))
        and (new_type in rules.CHECKSUMMED_ID_TYPES or current["id_type"] in rules.CHECKSUMMED_ID_TYPES)
    ):
        current["birth_date"] = None  # re-derived from the new number
    # Values of custom fields since deactivated are kept out of validation (and so dropped on save).
    applicable = {d.key for d in field_definitions() if d.applies_to in ("both", customer.kind)}
    current_custom = {k: v for k, v in current_custom.items() if k in applicable}
    merged_custom = {**current_custom, **(custom or {})}
    cleaned, custom_clean = _validate(
        ctx,
        kind=customer.kind,
        data={**current, **changes},
        custom=merged_custom,
        accept_uscc_checksum_failure=accept_uscc_checksum_failure or customer.uscc_needs_review,
    )
    changed = [f for f, v in cleaned.items() if before.get(f, getattr(customer, f, None)) != v]
    changed_custom = [k for k in set(custom_clean) | set(current_custom) if custom_clean.get(k) != current_custom.get(k)]
    changed += [f"custom.{k}" for k in changed_custom]
    # Every field sent is checked, changed or not: an unchanged answer would confirm a guessed masked value.
    _refuse_blind_changes(ctx, customer, list(changes), list(custom or {}))
    if tags is not None:  # judged on the record as the editor saw it, before this change (core may be set by it)
        _refuse_blind_changes(ctx, customer, [disclosure.TAGS], [])
    _apply(customer, {f: cleaned[f] for f in changed if f in cleaned}, custom_clean if changed_custom else None)
    if owner_id is not None and owner_id != customer.owner_id:
        owner = _resolve_owner(ctx, owner_id, default=None)
        assert owner.department is not None
        customer.owner, customer.department = owner, owner.department
        changed += ["owner", "department"]
    if tags is not None:
        tags_before = set(customer.tags.values_list("name", flat=True))
        _set_tags(customer, tags)
        if set(customer.tags.values_list("name", flat=True)) != tags_before:
            changed.append("tags")
    changed = [f for f in changed if f != "uscc_needs_review"]
    if not changed:
        # Nothing was written, so no write event; but the answer shows the record, and every answer that
        # shows personal data leaves its read event (issue #11): the same ``customer.viewed`` a GET leaves.
        shown, plan = disclosure.disclose(ctx, [customer], with_custom=True)
        views: dict[str, Any] = customer.field_views  # type: ignore[attr-defined]
        masked = sorted(f for f, v in views.items() if v.decision != Decision.PLAIN)
        detail = {"unchanged": True, "not_in_clear": masked, **disclosure.audit_detail([customer], plan)}
        audit.record(ctx, "customer.viewed", obj=customer, customer_id=customer.pk, fields=shown, detail=detail)
        return customer
    protection.refuse_loosening(ctx, protected, disclosure.row_facts(customer))  # rule 12: clearing "core" is compliance's
    customer.version += 1
    _check_unique(customer)
    _save(customer)
    _ensure_visible(ctx, customer)
    audit.record(ctx, "customer.updated", obj=customer, customer_id=customer.pk, fields=changed, detail={"version": customer.version})
    disclosure.present(ctx, [customer], with_custom=True)
    return customer


@transaction.atomic
def delete_customer(*, ctx: Context, customer_id: uuid.UUID) -> None:
    """Delete a prospect entered in error. Customers who did business are closed, never deleted here."""
    _require(ctx, CUSTOMER, DELETE)
    customer = _locked_customer(ctx, customer_id, DELETE)
    if customer.status != Status.PROSPECT:
        raise Conflict(
            _("Only prospects can be deleted. Close the customer instead: its records are kept for the retention period."),
            code="not_a_prospect",
        )
    if customer.consent_records.unrestricted(reason="a prospect with consent evidence is kept").exists():  # type: ignore[attr-defined]
        # Consent records are the evidence that processing was lawful (PIPL-14, GDPR-7): they are kept.
        raise Conflict(
            _("This prospect has consent records, which are kept as evidence. Close the customer instead of deleting it."),
            code="has_consent_records",
        )
    followups = customer.followups.unrestricted(reason="count every follow-up deleted with the prospect").count()  # type: ignore[attr-defined]
    audit.record(ctx, "customer.deleted", obj=customer, customer_id=customer.pk, detail={"followups_deleted": followups})
    customer_id = customer.pk
    customer.delete()
    # Rule 6: destroy the data key too, so copies of the deleted row (backups) stay unreadable. The intent
    # commits with the deletion and its event; the key store deletes the key after commit (rule 8), so a
    # rollback never leaves a live customer without a key, and the worker's sweep finishes what fails.
    crypto.request_destruction(customer_id)


# Follow-ups: customers/followups.py


# --- Custom field definitions ----------------------------------------------------------------------

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
    _require(ctx, MANAGE_CUSTOM_FIELDS, CREATE)
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
    entry = classification.classify(
        ctx=ctx, key=custom_field_key(key), data=labelled, reason="defined with the custom field", record_event=False
    )
    audit.record(
        ctx, "customfield.created", obj=definition, object_id=key, detail={"field_type": field_type, "jrt_class": entry.jrt_class.lower()}
    )
    return definition


@transaction.atomic
def update_custom_field(*, ctx: Context, key: str, data: Mapping[str, Any]) -> CustomFieldDefinition:
    """Change a custom field's labels, choices or rules; its key and type stay fixed."""
    _require(ctx, MANAGE_CUSTOM_FIELDS, CHANGE)
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
