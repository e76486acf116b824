"""The change types the credit-risk app registers with approvals (issue #16; registered in ``RiskConfig.ready``).

- ``risk.limit``: a permanent limit or a temporary one; always approved by someone else, the amount band (the
  approval rules' data) choosing who.
- ``risk.terms``: a lengthening of the payment terms (shortening applies at once, ``limits.change_terms``).
- ``risk.hold_release``: the release of a forced hold; neither its maker nor the person who placed the hold decides
  it (rule 12: ``in_scope`` hides the request from the placer, ``apply`` refuses a release the placer approved).

``describe`` shows the diff as the viewer's ``credit`` policy plans it: limits and terms are C2 (hidden unless a
policy clears C2, RULES.md §10); the approvals selector records the read event with the fields returned.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.access.plan import disclosure_plan
from clientvault.access.policies import CREDIT, VIEW, Decision
from clientvault.approvals import registry
from clientvault.approvals.registry import ChangeType, DiffRow, Pending
from clientvault.core.context import Context
from clientvault.core.errors import DomainError
from clientvault.customers import disclosure
from clientvault.customers.models import Customer
from clientvault.risk import hold_release, limits
from clientvault.risk.models import CreditFile, CreditHold, HoldStatus, LimitKind

EM_DASH = "—"
FIELDS = {"amount": "creditlimit.amount", "days": "paymentterms.days"}
_DESCRIBE = "approvals: describe a request's target to a viewer the selector let see the request"


def money(amount_minor: int | None, currency: str) -> str:
    """``CNY 1,000,000.00``: the currency code and thousands separators (UI.md)."""
    if amount_minor is None:
        return EM_DASH
    from clientvault.assets import fx

    value = Decimal(amount_minor).scaleb(-fx.exponent(currency)) if currency else Decimal(amount_minor)
    return f"{currency} {value:,.2f}".strip()


def _file_id(pending: Pending) -> uuid.UUID | None:
    try:
        if pending.target_type == limits.HOLD_TARGET:
            return uuid.UUID(str(pending.values.get("file"))) if pending.values.get("file") else _hold_file(pending.target_id)
        return uuid.UUID(pending.target_id)
    except ValueError:
        return None


def _hold_file(hold_id: str) -> uuid.UUID | None:
    rows = CreditHold.objects.unrestricted(reason=_DESCRIBE).filter(pk=hold_id).values_list("credit_file_id", flat=True)
    found: uuid.UUID | None = rows.first()
    return found


def _sees_file(ctx: Context, file_id: uuid.UUID | None) -> bool:
    if file_id is None:
        return False
    try:
        return bool(CreditFile.objects.visible_to(ctx, VIEW).filter(pk=file_id).exists())
    except DomainError:  # e.g. no purpose declared: fail closed
        return False


def in_file_scope(ctx: Context, pending: Pending) -> bool:
    """The viewer sees the credit file (their ``credit`` policy, scope and purpose)."""
    return _sees_file(ctx, _file_id(pending))


def in_hold_scope(ctx: Context, pending: Pending) -> bool:
    """The viewer sees the file, and did not place the hold (the placer neither sees nor decides its release;
    the maker still sees their own request through approvals)."""
    placer = hold_release.placed_by(pending.target_id)
    if placer is not None and placer == ctx.actor_id:
        return False
    return _sees_file(ctx, _file_id(pending))


def _decision(ctx: Context, pending: Pending, field: str) -> Decision:
    customer = Customer.objects.unrestricted(reason=_DESCRIBE).select_related("department").filter(pk=pending.subject_id).first()
    if customer is None:
        return Decision.WITHHELD
    plan = disclosure_plan(ctx, disclosure.rows_of([customer]), {field: FIELDS[field]}, CREDIT)
    return plan[customer.pk][field].decision


def _shown(decision: Decision, text: str) -> str:
    if decision is Decision.PLAIN or text == EM_DASH:
        return text
    return EM_DASH if decision is Decision.WITHHELD else "******"


def describe_limit(ctx: Context, pending: Pending) -> list[DiffRow]:
    """The kind and validity in clear; the amounts as the viewer's plan for ``creditlimit.amount`` says."""
    values, before = pending.values, pending.before
    currency = str(values.get("currency") or before.get("currency") or "")
    decision = _decision(ctx, pending, "amount")
    kind = str(values.get("kind", ""))
    label = LimitKind(kind).label if kind in LimitKind.values else kind
    rows = [
        DiffRow("kind", _("type"), "", str(label), shown_plain=True),
        DiffRow(
            "amount",
            _("Credit limit"),
            _shown(decision, money(before.get("amount"), currency)),
            _shown(decision, money(values.get("amount"), currency)),
            shown_plain=decision is Decision.PLAIN,
        ),
        DiffRow("valid_from", _("valid from"), "", str(values.get("valid_from") or EM_DASH), shown_plain=True),
    ]
    if values.get("valid_until"):
        rows.append(DiffRow("valid_until", _("valid until"), "", str(values["valid_until"]), shown_plain=True))
    return rows


def describe_terms(ctx: Context, pending: Pending) -> list[DiffRow]:
    decision = _decision(ctx, pending, "days")

    def days(value: Any) -> str:
        return EM_DASH if value is None else str(_("%(days)s days") % {"days": value})

    return [
        DiffRow(
            "days",
            _("payment terms (days)"),
            _shown(decision, days(pending.before.get("days"))),
            _shown(decision, days(pending.values.get("days"))),
            shown_plain=decision is Decision.PLAIN,
        )
    ]


def describe_hold_release(ctx: Context, pending: Pending) -> list[DiffRow]:
    """The hold's reason code and its status (no note: it stays sealed behind ``credithold.note``)."""
    return [
        DiffRow("reason_code", _("reason"), str(pending.before.get("reason_code", EM_DASH)), "", shown_plain=True),
        DiffRow("status", _("status"), str(HoldStatus.ACTIVE.label), str(HoldStatus.RELEASED.label), shown_plain=True),
    ]


def file_link(pending: Pending) -> str:
    file_id = _file_id(pending)
    return f"/risk/files/{file_id}/" if file_id else ""


TYPES = (
    ChangeType(
        code=limits.LIMIT,
        label=_("Credit limit change"),
        fingerprint=limits.file_fingerprint,
        apply=limits.apply_limit,
        describe=describe_limit,
        in_scope=in_file_scope,
        link=file_link,
    ),
    ChangeType(
        code=limits.TERMS,
        label=_("Longer payment terms"),
        fingerprint=limits.file_fingerprint,
        apply=limits.apply_terms,
        describe=describe_terms,
        in_scope=in_file_scope,
        link=file_link,
    ),
    ChangeType(
        code=limits.HOLD_RELEASE,
        label=_("Release of a credit hold"),
        fingerprint=hold_release.hold_fingerprint,
        apply=hold_release.apply_hold_release,
        describe=describe_hold_release,
        in_scope=in_hold_scope,
        link=file_link,
    ),
)


def register() -> None:
    for change_type in TYPES:
        registry.register(change_type)
