"""The change types customers registers with approvals (issue #13; registered in ``CustomersConfig.ready``).

- ``customers.sensitive_field``: a change of a C3 or PIPL-sensitive profile field (the field catalogue says which).
- ``customers.lower_protection``: clearing the core flag (rule 12: compliance or a manager proposes, another
  compliance officer approves).
- ``customers.reassign_owner``: a new owner, decided by a sales manager of the new department's subtree.
- ``customers.entry_review``: compliance's review of a new customer record.

``describe`` shows the diff through the customer's disclosure plan for the viewer (masked or withheld as
their policy says; the approvals selector records the read event with the fields it returns).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import Decision
from clientvault.accounts.models import Department, User
from clientvault.approvals import registry
from clientvault.approvals.registry import ChangeType, DiffRow, Pending
from clientvault.classification.models import FieldClassification
from clientvault.core.context import Context
from clientvault.core.errors import DomainError
from clientvault.customers import changes, disclosure
from clientvault.customers.choices import ReviewStatus
from clientvault.customers.models import Customer

EM_DASH = "—"


def _customer(pending: Pending) -> Customer | None:
    held = Customer.objects.unrestricted(reason="approvals: describe a request's target to a viewer the selector let see the request")
    return held.select_related("department").filter(pk=pending.target_id).first()


def sees_customer(ctx: Context, pending: Pending) -> bool:
    """The viewer's own sight of the customer (purpose, scope, consent, review on entry); fail closed."""
    try:
        return Customer.objects.visible_to(ctx, "view").filter(pk=pending.target_id).exists()
    except DomainError:
        return False


def in_reassign_scope(ctx: Context, pending: Pending) -> bool:
    """A reassignment is seen by whoever sees the customer and by the managers of the new department's subtree
    (who decide it, and may not see the customer yet)."""
    if sees_customer(ctx, pending):
        return True
    actor = ctx.actor
    target = pending.facts.department_id
    if actor is None or actor.department is None or target is None:
        return False
    path = Department.objects.filter(pk=target).values_list("path", flat=True).first()
    return path is not None and path.startswith(actor.department.path)


def _labels(fields: list[str]) -> dict[str, str]:
    language = get_language()
    rows = FieldClassification.objects.filter(key__in=[disclosure.catalogue_key(f) for f in fields])
    by_key = {row.key: row.label(language) for row in rows}
    return {f: by_key.get(disclosure.catalogue_key(f), f) for f in fields}


def _shown(decision: Decision, field: str, value: Any) -> str:
    if value in (None, "", {}) or decision is Decision.WITHHELD:
        return EM_DASH
    if decision is Decision.PLAIN:
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return disclosure.masked_form(field, value) or EM_DASH


def _masked_rows(ctx: Context, customer: Customer, before: dict[str, Any], after: dict[str, Any]) -> list[DiffRow]:
    """One row per field, each value shown as the viewer's plan for this customer says (plain / masked / withheld)."""
    fields = sorted(set(before) | set(after))
    std = [f for f in fields if not f.startswith("custom.")]
    custom = [f[len("custom.") :] for f in fields if f.startswith("custom.")]
    views = disclosure.decisions(ctx, customer, std, custom)
    labels = _labels(fields)
    rows = []
    for f in fields:
        view = views.get(f)
        decision = view.decision if view is not None else Decision.WITHHELD
        rows.append(
            DiffRow(
                field=f,
                label=labels[f],
                before=_shown(decision, f, before.get(f)),
                after=_shown(decision, f, after.get(f)),
                shown_plain=decision is Decision.PLAIN,
            )
        )
    return rows


def masked_rows(ctx: Context, customer: Customer, before: dict[str, Any], after: dict[str, Any]) -> list[DiffRow]:
    """The diff of a change to ``customer`` as the viewer's plan shows it (for other apps' change types: merges)."""
    return _masked_rows(ctx, customer, before, after)


def _flat(values: Any) -> dict[str, Any]:
    out = dict(values.get("fields") or {})
    out.update({f"custom.{k}": v for k, v in (values.get("custom") or {}).items()})
    return out


def describe_fields(ctx: Context, pending: Pending) -> list[DiffRow]:
    customer = _customer(pending)
    if customer is None:
        return []
    return _masked_rows(ctx, customer, _flat(pending.before), _flat(pending.values))


def describe_protection(ctx: Context, pending: Pending) -> list[DiffRow]:
    yes, no = str(_("Yes")), str(_("No"))
    return [DiffRow(field="is_core", label=_("core customer"), before=yes, after=no, shown_plain=True)]


def _person(user_id: Any) -> str:
    user = User.objects.filter(pk=user_id).select_related("department").first()
    if user is None:
        return EM_DASH
    return f"{user} ({user.department})" if user.department is not None else str(user)


def describe_reassign(ctx: Context, pending: Pending) -> list[DiffRow]:
    before, after = _person(pending.before.get("owner_id")), _person(pending.values.get("owner_id"))
    return [DiffRow(field="owner", label=_("owner"), before=before, after=after, shown_plain=True)]


def describe_entry(ctx: Context, pending: Pending) -> list[DiffRow]:
    """The new record as the viewer's plan shows it (only what the plan shows is decrypted): every filled field."""
    customer = _customer(pending)
    if customer is None:
        return []
    disclosure.present(ctx, [customer])
    views: dict[str, Any] = customer.field_views  # type: ignore[attr-defined]
    labels = _labels(list(disclosure.DISCLOSED))
    rows = [
        DiffRow(
            field="review_status",
            label=_("entry review"),
            before=str(ReviewStatus.PENDING.label),
            after=str(ReviewStatus.APPROVED.label),
            shown_plain=True,
        )
    ]
    for f in disclosure.DISCLOSED:
        view = views.get(f)
        value: Any = getattr(customer, f, None)
        if view is None or (value in (None, "") and view.decision is not Decision.WITHHELD):
            continue
        shown = EM_DASH if value is None or value == "" else (value.isoformat() if hasattr(value, "isoformat") else str(value))
        rows.append(DiffRow(field=f, label=labels[f], before=EM_DASH, after=shown, shown_plain=view.decision is Decision.PLAIN))
    return rows


def link(pending: Pending) -> str:
    return reverse("customers:detail", args=[pending.target_id])


def _type(code: str, label: Any, apply: Any, describe: Any, in_scope: Any = sees_customer, **extra: Any) -> ChangeType:
    return ChangeType(
        code=code,
        label=label,
        fingerprint=changes.fingerprint,
        apply=apply,
        describe=describe,
        in_scope=in_scope,
        link=link,
        extra=extra,
    )


TYPES = (
    _type(changes.SENSITIVE_FIELD, _("Change of sensitive customer data"), changes.apply_fields, describe_fields),
    _type(changes.LOWER_PROTECTION, _("Lowering a customer's protection"), changes.apply_lower_protection, describe_protection),
    _type(changes.REASSIGN_OWNER, _("Reassigning a customer"), changes.apply_reassign, describe_reassign, in_reassign_scope),
    _type(changes.ENTRY_REVIEW, _("Review of a new customer"), changes.apply_entry, describe_entry, on_close=changes.close_entry),
)


def register() -> None:
    for change_type in TYPES:
        registry.register(change_type)
