"""Changes to a customer that a second person decides (ARCHITECTURE.md rule 12, issue #13).

``update_customer`` asks ``split`` which of the changes it was given need approval; those become change
requests (``approvals.services.submit``) instead of writes, and the rest is written at once. When the last
approver approves, ``approvals`` calls back into ``apply_*`` here (through ``approval_types``) inside one
transaction: lock the customer, refuse a stale request (the version moved since it was submitted),
re-validate, write, and record the same event a direct write leaves, naming the request.

Which profile fields need approval is the field catalogue's call, not a list here: every customer field the
catalogue classes C3 or marks PIPL-sensitive (PIPL-28; custom fields included).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import CHANGE, CUSTOMER, Scope, allows
from clientvault.access.policies import LOWER_PROTECTION as LOWER_PROTECTION_CAPABILITY
from clientvault.approvals import selectors as approval_selectors
from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import Facts, Pending, Proposal, Stale
from clientvault.audit import recording as audit
from clientvault.classification.models import FieldClassification
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.customers import disclosure, entry_review
from clientvault.customers.models import Customer

TARGET_TYPE = "customers.customer"
SENSITIVE_FIELD = "customers.sensitive_field"
LOWER_PROTECTION = "customers.lower_protection"
REASSIGN_OWNER = "customers.reassign_owner"
ENTRY_REVIEW = "customers.entry_review"
# Values derived from the ID number travel with it: a new number re-derives the birth date and sex.
DERIVED = {"id_number": ("id_type", "birth_date", "sex"), "id_type": ("id_number", "birth_date", "sex")}
STALE = _("The customer changed after the request; submit the change again.")


def sensitive_keys() -> frozenset[str]:
    """Catalogue keys of customer fields whose change needs approval: class C3 or PIPL-sensitive."""
    rows = FieldClassification.objects.filter(Q(jrt_class="C3") | Q(pipl_sensitive=True), key__startswith="customer.")
    return frozenset(rows.values_list("key", flat=True))


def split(changed: Sequence[str]) -> tuple[list[str], list[str]]:
    """(fields written at once, fields proposed for approval) of the changed fields (``custom.<key>`` for custom)."""
    keys = sensitive_keys()
    proposed = {f for f in changed if disclosure.catalogue_key(f) in keys}
    for f in list(proposed):
        proposed |= {d for d in DERIVED.get(f, ()) if d in changed}
    return [f for f in changed if f not in proposed], [f for f in changed if f in proposed]


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def facts_of(customer: Customer, *, department_id: uuid.UUID | None = None, customer_class: str = "") -> Facts:
    return Facts(
        legal_entity_id=customer.legal_entity_id,
        department_id=department_id or customer.department_id,
        customer_class=customer_class or ("C3" if customer.is_core else ""),
        core=bool(customer.is_core),
        risk=entry_review.risk_of(customer),
    )


def _class_of(fields: Sequence[str]) -> str:
    """The highest class among the fields (C1 < C2 < C3 compare as strings); unknown: C3 (fail closed)."""
    classes = FieldClassification.objects.filter(key__in=[disclosure.catalogue_key(f) for f in fields]).values_list("jrt_class", flat=True)
    return max(classes, default="C3")


def fields_proposal(customer: Customer, values: Mapping[str, Any], before: Mapping[str, Any], custom: Mapping[str, Any]) -> Proposal:
    """A change of sensitive profile fields (``values``; custom ones in ``custom``)."""
    fields = sorted([*values, *(f"custom.{k}" for k in custom)])
    return Proposal(
        change_type=SENSITIVE_FIELD,
        target_type=TARGET_TYPE,
        target_id=str(customer.pk),
        field_key="sensitive_fields",
        subject_id=customer.pk,
        values={"fields": {f: _json(v) for f, v in values.items()}, "custom": dict(custom)},
        before={"fields": {f: _json(before.get(f)) for f in values}, "custom": {k: before.get(f"custom.{k}") for k in custom}},
        fingerprint=str(customer.version),
        facts=facts_of(customer, customer_class=_class_of(fields)),
        summary=str(_("Change of sensitive profile fields")),
        fields=tuple(disclosure.catalogue_key(f) for f in fields),
    )


def lower_protection_proposal(customer: Customer) -> Proposal:
    """Clearing the core flag: every field of a core customer counts as C3 (issue #3)."""
    return Proposal(
        change_type=LOWER_PROTECTION,
        target_type=TARGET_TYPE,
        target_id=str(customer.pk),
        field_key="protection",
        subject_id=customer.pk,
        values={"is_core": False},
        before={"is_core": True},
        fingerprint=str(customer.version),
        facts=facts_of(customer, customer_class="C3"),
        summary=str(_("Clear the core customer flag")),
        fields=("customer.is_core",),
    )


def reassign_proposal(customer: Customer, owner: Any) -> Proposal:
    """A new owner (and so department) for the customer, decided by a manager of the new department's subtree."""
    return Proposal(
        change_type=REASSIGN_OWNER,
        target_type=TARGET_TYPE,
        target_id=str(customer.pk),
        field_key="owner",
        subject_id=customer.pk,
        values={"owner_id": owner.pk, "department_id": str(owner.department_id)},
        before={"owner_id": customer.owner_id, "department_id": str(customer.department_id)},
        fingerprint=str(customer.version),
        facts=facts_of(customer, department_id=owner.department_id),
        summary=str(_("Reassign the customer to another owner")),
        fields=("customer.owner", "customer.department"),
    )


def entry_proposal(customer: Customer) -> Proposal:
    """A new customer waiting for compliance's review on entry."""
    return Proposal(
        change_type=ENTRY_REVIEW,
        target_type=TARGET_TYPE,
        target_id=str(customer.pk),
        field_key="entry_review",
        subject_id=customer.pk,
        values={"review_status": "approved"},
        before={"review_status": "pending"},
        fingerprint=str(customer.version),
        facts=facts_of(customer),
        summary=str(_("Review a new customer record")),
        fields=("customer.review_status",),
    )


# --- Applying an approved request (the request is the authority; ctx is the last approver's) --------------


def fingerprint(target_id: str) -> str:
    """The customer's version, read under its row lock ("missing" once it is gone)."""
    held = Customer.objects.unrestricted(reason="approvals: the state of a request's target, under lock")
    version = held.select_for_update().filter(pk=target_id).values_list("version", flat=True).first()
    return "missing" if version is None else str(version)


def locked_target(pending: Pending) -> Customer:
    """The customer under lock, unchanged since the request was submitted — else ``Stale``."""
    held = Customer.objects.unrestricted(reason="approvals: apply an approved request to its target")
    customer = held.select_for_update().select_related("department").filter(pk=pending.target_id).first()
    if customer is None or str(customer.version) != pending.fingerprint:
        raise Stale(STALE)
    return customer


def _detail(ctx: Context, customer: Customer, pending: Pending, **more: Any) -> dict[str, Any]:
    return {"version": customer.version, "change_request": str(pending.id), "decided_by_role": ctx.primary_role, **more}


def apply_fields(ctx: Context, pending: Pending) -> None:
    from clientvault.customers import profiles

    customer = locked_target(pending)
    fields: dict[str, Any] = dict(pending.values.get("fields") or {})
    if fields.get("birth_date"):
        fields["birth_date"] = dt.date.fromisoformat(fields["birth_date"])
    custom: dict[str, Any] = dict(pending.values.get("custom") or {})
    changed = profiles.write_approved(ctx, customer, fields, custom)
    detail = _detail(ctx, customer, pending)
    audit.record(ctx, "customer.updated", obj=customer, customer_id=customer.pk, fields=changed, detail=detail)


def apply_lower_protection(ctx: Context, pending: Pending) -> None:
    customer = locked_target(pending)
    if not customer.is_core:
        raise ValidationFailed({"is_core": [_("The customer is no longer core.")]})
    customer.is_core = False
    customer.version += 1
    customer.save(update_fields=["is_core", "version", "updated_at"])
    detail = _detail(ctx, customer, pending, is_core=False)
    audit.record(ctx, "customer.protection_lowered", obj=customer, customer_id=customer.pk, fields=["is_core"], detail=detail)


def apply_reassign(ctx: Context, pending: Pending) -> None:
    from clientvault.customers import profiles

    customer = locked_target(pending)
    before = customer.department_id
    owner = profiles.eligible_owner(int(pending.values["owner_id"]), legal_entity_id=customer.legal_entity_id)
    if str(owner.department_id) != str(pending.values.get("department_id")):
        raise ValidationFailed({"owner": [_("The new owner has moved to another department since the request.")]})
    assert owner.department is not None
    customer.owner, customer.department = owner, owner.department
    customer.version += 1
    customer.save(update_fields=["owner", "department", "version", "updated_at"])
    detail = _detail(ctx, customer, pending, owner=owner.pk, from_department=str(before), to_department=str(owner.department_id))
    audit.record(ctx, "customer.reassigned", obj=customer, customer_id=customer.pk, fields=["owner", "department"], detail=detail)


def apply_entry(ctx: Context, pending: Pending) -> None:
    customer = locked_target(pending)
    entry_review.record_decision(ctx, customer, "approved", request_id=pending.id)


def close_entry(ctx: Context, pending: Pending, status: str) -> None:
    """A rejected entry review leaves the record rejected (seen by its creator and compliance only)."""
    if status != "rejected":
        return  # withdrawn or expired: the customer stays pending; its creator may submit it again
    held = Customer.objects.unrestricted(reason="approvals: the outcome of a customer's entry review")
    customer = held.select_for_update().filter(pk=pending.target_id).first()
    if customer is not None and customer.review_status == "pending":
        entry_review.record_decision(ctx, customer, "rejected", request_id=pending.id)


# --- Routing an edit (called by profiles.update_customer, under the customer's row lock) ------------------


@dataclass
class Routed:
    direct: list[str]  # changed fields written at once (``custom.<key>`` for custom ones)
    proposals: list[Proposal] = field(default_factory=list)
    proposed_custom: list[str] = field(default_factory=list)
    owner_proposed: bool = False


def may_propose_lowering(ctx: Context) -> bool:
    """Compliance, or a manager (team scope), may propose clearing "core"; a rep's edit is refused as before."""
    return allows(ctx.roles, LOWER_PROTECTION_CAPABILITY, CHANGE) or engine.scope(ctx, CUSTOMER, CHANGE) >= Scope.SUBTREE


def route(
    ctx: Context,
    customer: Customer,
    *,
    changed: list[str],
    cleaned: Mapping[str, Any],
    before: Mapping[str, Any],
    custom_clean: Mapping[str, Any],
    current_custom: Mapping[str, Any],
    new_owner: Any,
) -> Routed:
    """Which of an edit's changes are written now and which wait for approval (on a reviewed record; a record
    pending its entry review is reviewed whole, so its edits are written and the review restarts)."""
    if customer.review_status != "approved":
        return Routed(direct=list(changed))
    direct, sensitive = split(changed)
    out = Routed(direct=direct)
    if sensitive:
        std = {f: cleaned[f] for f in sensitive if not f.startswith("custom.")}
        custom = {f[len("custom.") :]: custom_clean.get(f[len("custom.") :]) for f in sensitive if f.startswith("custom.")}
        proposal = fields_proposal(customer, std, {**before, **{f"custom.{k}": v for k, v in current_custom.items()}}, custom)
        if approvals.needs_approval(proposal.change_type, proposal.facts):
            out.proposals.append(proposal)
            out.proposed_custom = sorted(custom)
        else:
            out.direct += sensitive
    if "is_core" in out.direct and customer.is_core and not cleaned.get("is_core") and may_propose_lowering(ctx):
        proposal = lower_protection_proposal(customer)
        if approvals.needs_approval(proposal.change_type, proposal.facts):
            out.direct.remove("is_core")
            out.proposals.append(proposal)
    if new_owner is not None:
        proposal = reassign_proposal(customer, new_owner)
        if approvals.needs_approval(proposal.change_type, proposal.facts):
            out.proposals.append(proposal)
            out.owner_proposed = True
    return out


def submit_all(ctx: Context, customer: Customer, proposals: Sequence[Proposal], reason: str = "") -> list[ChangeRequest]:
    """Submit the edit's proposals against the record as it now is (after the edit's own write, if any)."""
    version = str(customer.version)
    return [approvals.submit(ctx, replace(p, fingerprint=version), reason=reason) for p in proposals]


def restart_entry_review(ctx: Context, customer: Customer) -> None:
    """The creator edited a record waiting for its entry review: their open request is withdrawn and a new one
    submitted, so compliance decides the record as it now is (the old one would fail as stale)."""
    for open_request in approval_selectors.open_for(TARGET_TYPE, str(customer.pk)):
        if open_request.change_type == ENTRY_REVIEW and open_request.maker_id == ctx.actor_id:
            approvals.withdraw(ctx, open_request.id, reason="")
    entry = entry_proposal(customer)
    if approvals.needs_approval(entry.change_type, entry.facts):  # a rule switched off meanwhile: nothing to submit to
        submit_all(ctx, customer, [entry])


def request_link(request: Any) -> str:
    """The change request's page (the approvals UI)."""
    return f"/approvals/{request.id if hasattr(request, 'id') else request}/"


def open_requests(customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """Non-personal summaries of the customer's open requests, for a page whose viewer already sees the customer."""
    return [
        {"summary": r.summary, "status": ChangeRequest.Status(r.status).label, "due_at": r.due_at, "link": request_link(r)}
        for r in approval_selectors.open_for(TARGET_TYPE, str(customer_id))
    ]
