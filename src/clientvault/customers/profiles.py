"""Every write to a customer's profile: create, update, delete (ARCHITECTURE.md rule 1).

Each function owns its transaction, checks the actor's grant (``permissions``), validates through ``rules``,
writes, re-checks the row is still visible to the actor and records exactly one audit event. Follow-ups
are ``followups.py``, custom field definitions ``custom_fields.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import (
    CHANGE,
    CREATE,
    CUSTOMER,
    DELETE,
    Decision,
    Scope,
)
from clientvault.accounts.models import User
from clientvault.approvals import services as approvals
from clientvault.audit import recording as audit
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, ValidationFailed
from clientvault.core.text import clean_text
from clientvault.crypto import keystore
from clientvault.customers import changes as changes_
from clientvault.customers import custom_fields, disclosure, permissions, prepare, protection, rules, vault
from clientvault.customers.choices import Kind, ReviewStatus, Status
from clientvault.customers.models import Customer, Tag

MAX_TAGS = 20


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
    cleaned, custom_clean, errors = prepare.validate(
        kind=kind, data=data, custom=custom, accept_uscc_checksum_failure=accept_uscc_checksum_failure
    )
    rules.raise_if(errors)
    return cleaned, custom_clean


def _check_unique(customer: Customer) -> None:
    """One record per identity document / credit code within a legal entity (compared by blind index)."""
    held = Customer.objects.unrestricted(reason="one record per ID number / credit code in the legal entity, whoever owns the other")
    others = held.filter(legal_entity_id=customer.legal_entity_id).exclude(pk=customer.pk)
    if customer.id_number_bidx and others.filter(id_type=customer.id_type, id_number_bidx=customer.id_number_bidx).exists():
        raise ValidationFailed({"id_number": [_("A customer with this ID number is already registered.")]})
    if customer.uscc_bidx and others.filter(uscc_bidx=customer.uscc_bidx).exists():
        raise ValidationFailed({"uscc": [_("A customer with this credit code is already registered.")]})


# Sealing and plain fields: customers/prepare.py, the one path of every new record (issue #14).
PLAIN_FIELDS = prepare.PLAIN_FIELDS
_apply = prepare.apply_values


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
    permissions.require(ctx, CUSTOMER, CREATE)
    if kind not in Kind.values:
        raise ValidationFailed({"kind": [_("Choose individual or organisation.")]})
    cleaned, custom_clean = _validate(
        ctx, kind=kind, data=data, custom=custom or {}, accept_uscc_checksum_failure=accept_uscc_checksum_failure
    )
    owner = _resolve_owner(ctx, owner_id, default=None)
    assert owner.department is not None
    customer = prepare.build(kind=kind, cleaned=cleaned, custom=custom_clean, owner=owner, created_by=ctx.actor)
    entry = changes_.entry_proposal(customer)
    if customer.review_status == ReviewStatus.PENDING and not approvals.needs_approval(entry.change_type, entry.facts):
        customer.review_status = ReviewStatus.APPROVED  # no active rule reviews this entry: nobody could decide it
    _check_unique(customer)
    _save(customer)
    prepare.after_insert([customer], {customer.pk: cleaned})
    if tags:
        _set_tags(customer, tags)
    permissions.ensure_visible(ctx, customer)
    audit.record(ctx, "customer.created", obj=customer, customer_id=customer.pk, fields=prepare.filled_fields(cleaned, custom_clean))
    # Review on entry (issue #13): until compliance approves, only the creator and compliance see the record.
    customer.change_requests = changes_.submit_all(ctx, customer, [entry]) if customer.review_status == ReviewStatus.PENDING else []
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
    permissions.require(ctx, CUSTOMER, CHANGE)
    customer = permissions.locked_customer(ctx, customer_id, CHANGE)
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
    applicable = {d.key for d in custom_fields.field_definitions() if d.applies_to in ("both", customer.kind)}
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
    permissions.refuse_blind_changes(ctx, customer, list(changes), list(custom or {}))
    if tags is not None:  # judged on the record as the editor saw it, before this change (core may be set by it)
        permissions.refuse_blind_changes(ctx, customer, [disclosure.TAGS], [])
    if customer.review_status == ReviewStatus.REJECTED:
        raise Conflict(_("Rejected at entry review: this customer can no longer be changed."), code="rejected_at_review")
    new_owner = _resolve_owner(ctx, owner_id, default=None) if owner_id is not None and owner_id != customer.owner_id else None
    # Rule 12: what a second person decides becomes a change request instead of a write (customers/changes.py).
    plan = changes_.route(
        ctx, customer, changed=[f for f in changed if f != "uscc_needs_review"], cleaned=cleaned, before=before,
        custom_clean=custom_clean, current_custom=current_custom, new_owner=new_owner,
    )  # fmt: skip
    changed = list(plan.direct)
    direct_custom = dict(custom_clean)  # custom values waiting for approval keep their current value
    for key in plan.proposed_custom:
        direct_custom.pop(key, None)
        if key in current_custom:
            direct_custom[key] = current_custom[key]
    writes_custom = any(f.startswith("custom.") for f in changed)
    _apply(customer, {f: cleaned[f] for f in changed if f in cleaned}, direct_custom if writes_custom else None)
    if new_owner is not None and not plan.owner_proposed:
        assert new_owner.department is not None
        customer.owner, customer.department = new_owner, new_owner.department
        changed += ["owner", "department"]
    if tags is not None:
        tags_before = set(customer.tags.values_list("name", flat=True))
        _set_tags(customer, tags)
        if set(customer.tags.values_list("name", flat=True)) != tags_before:
            changed.append("tags")
    if not changed and plan.proposals:
        # Nothing written: the changes wait for approval. The answer names the requests, not the record.
        customer.change_requests = changes_.submit_all(ctx, customer, plan.proposals)
        return customer
    if not changed:
        # Nothing was written, so no write event; but the answer shows the record, and every answer that
        # shows personal data leaves its read event (issue #11): the same ``customer.viewed`` a GET leaves.
        shown, the_plan = disclosure.disclose(ctx, [customer], with_custom=True)
        views: dict[str, Any] = customer.field_views  # type: ignore[attr-defined]
        masked = sorted(f for f, v in views.items() if v.decision != Decision.PLAIN)
        detail = {"unchanged": True, "not_in_clear": masked, **disclosure.audit_detail([customer], the_plan)}
        audit.record(ctx, "customer.viewed", obj=customer, customer_id=customer.pk, fields=shown, detail=detail)
        customer.change_requests = []
        return customer
    protection.refuse_loosening(ctx, protected, disclosure.row_facts(customer))  # rule 12: clearing "core" is not the editor's
    customer.version += 1
    _check_unique(customer)
    _save(customer)
    permissions.ensure_visible(ctx, customer)
    audit.record(ctx, "customer.updated", obj=customer, customer_id=customer.pk, fields=changed, detail={"version": customer.version})
    customer.change_requests = changes_.submit_all(ctx, customer, plan.proposals)
    if customer.review_status == ReviewStatus.PENDING:
        changes_.restart_entry_review(ctx, customer)  # the reviewer decides the record as it now is
    disclosure.present(ctx, [customer], with_custom=True)
    return customer


def eligible_owner(owner_id: int, *, legal_entity_id: uuid.UUID) -> User:
    """An active sales rep or manager with a department in the legal entity (re-checked when a reassignment applies)."""
    candidate = (
        User.objects.filter(pk=owner_id, is_active=True, roles__code__in=[R.SALES_REP, R.SALES_MANAGER])
        .select_related("department")
        .first()
    )
    if candidate is None or candidate.department is None or candidate.department.legal_entity_id != legal_entity_id:
        raise ValidationFailed({"owner": [_("Choose an active sales rep or manager in your department.")]})
    return candidate


def write_approved(ctx: Context, customer: Customer, fields: Mapping[str, Any], custom: Mapping[str, Any]) -> list[str]:
    """Write approved profile values to a customer the caller holds locked: validated again against the record
    as it is now, unique identifiers checked, version moved. Returns the fields changed; the caller audits."""
    current, current_custom = _current_values(customer)
    applicable = {d.key for d in custom_fields.field_definitions() if d.applies_to in ("both", customer.kind)}
    current_custom = {k: v for k, v in current_custom.items() if k in applicable}
    merged_custom = {**current_custom, **custom}
    cleaned, custom_clean = _validate(
        ctx, kind=customer.kind, data={**current, **fields}, custom=merged_custom, accept_uscc_checksum_failure=customer.uscc_needs_review
    )
    changed = [f for f in fields if cleaned.get(f) != current.get(f)]
    _apply(customer, {f: cleaned[f] for f in changed}, custom_clean if custom else None)
    customer.version += 1
    _check_unique(customer)
    _save(customer)
    return changed + [f"custom.{k}" for k in custom if custom_clean.get(k) != current_custom.get(k)]


@transaction.atomic
def delete_customer(*, ctx: Context, customer_id: uuid.UUID) -> None:
    """Delete a prospect entered in error. Customers who did business are closed, never deleted here."""
    permissions.require(ctx, CUSTOMER, DELETE)
    customer = permissions.locked_customer(ctx, customer_id, DELETE)
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
    keystore.request_destruction(customer_id)


# Follow-ups: customers/followups.py
