"""Legal holds (法定保留; AML-34, GDPR-17(3)(b)/(e)): placing one, and lifting one (maker ≠ checker, rule 12).

When AML holds are placed automatically (decided here, issue #15): when a business relationship ends — the
retention sweep for every closed customer, and a deletion request for a customer who had a relationship
(any status but prospect, or any asset): one hold on KYC until relationship end + the ``kyc-aml`` rule's period
(10 years), and, if the customer has assets, one on transactions until the last ledger entry + the
``transactions-aml`` period. A prospect never had a relationship: no AML duty, no hold.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, LEGAL_HOLDS, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers.choices import Status
from clientvault.customers.models import Customer
from clientvault.lifecycle import queries
from clientvault.lifecycle.models import Category, HoldBasis, HoldStatus, LegalHold, RetentionRule
from clientvault.lifecycle.policies import add_months


def _about(hold: LegalHold) -> dict[str, object]:
    return {"object_type": "lifecycle.legalhold", "object_id": str(hold.pk), "customer_id": hold.customer_id}


def _detail(hold: LegalHold) -> dict[str, object]:
    # Codes only (core.details): the dates are on the hold row the event names.
    return {"basis": hold.basis, "category": hold.category or "all", "open_ended": hold.until is None}


@transaction.atomic
def place_hold(
    ctx: Context, *, customer_id: uuid.UUID, basis: str, reference: str = "", starts_on: dt.date | None = None,
    until: dt.date | None = None, category: str = "",
) -> LegalHold:  # fmt: skip
    """Place a legal hold on a customer (or one category of their data): from now on they cannot be erased."""
    if not allows(ctx.roles, LEGAL_HOLDS, CHANGE) or ctx.actor is None:
        raise PermissionDenied()
    errors: dict[str, list[str | Promise]] = {}
    if basis not in HoldBasis.values:
        errors["basis"] = [_("Choose the legal basis of the hold.")]
    if category and category not in Category.values:
        errors["category"] = [_("Choose a data category.")]
    start = starts_on or clock.today()
    if until is not None and until < start:
        errors["until"] = [_("The hold cannot end before it starts.")]
    if errors:
        raise ValidationFailed(errors)
    customer = queries.lock_customer(customer_id)  # the erasure steps take the same lock (lifecycle/erasure.py)
    if customer is None or customer.erased_at is not None or not queries.in_entity(ctx, customer):
        raise NotFound()
    hold = LegalHold.objects.create(
        customer_id=customer_id, basis=basis, reference=reference.strip()[:80], starts_on=start, until=until,
        category=category, placed_by=ctx.actor, placed_at=clock.now(),
    )  # fmt: skip
    audit.record(ctx, "lifecycle.hold_placed", **_about(hold), detail=_detail(hold))  # type: ignore[arg-type]
    return hold


def _locked_hold(ctx: Context, hold_id: uuid.UUID) -> LegalHold:
    if not allows(ctx.roles, LEGAL_HOLDS, CHANGE) or ctx.actor is None:
        raise PermissionDenied()
    hold = LegalHold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None or not queries.entity_customers(ctx).filter(pk=hold.customer_id).exists():
        raise NotFound()
    return hold


@transaction.atomic
def request_lift(ctx: Context, *, hold_id: uuid.UUID, reason: str) -> LegalHold:
    """Ask for a hold to be lifted: it keeps holding until a second compliance officer decides (rule 12)."""
    hold = _locked_hold(ctx, hold_id)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why the hold should be lifted.")]})
    if hold.status != HoldStatus.ACTIVE:
        raise Conflict(_("This hold is not active."), code="hold_not_active")
    hold.status = HoldStatus.LIFT_REQUESTED
    hold.lift_requested_by = ctx.actor
    hold.lift_reason = reason.strip()[:300]
    hold.save(update_fields=["status", "lift_requested_by", "lift_reason"])
    audit.record(ctx, "lifecycle.hold_lift_requested", **_about(hold), detail=_detail(hold))  # type: ignore[arg-type]
    return hold


@transaction.atomic
def decide_lift(ctx: Context, *, hold_id: uuid.UUID, approve: bool) -> LegalHold:
    """A second compliance officer lifts the hold, or keeps it (the request is withdrawn)."""
    hold = _locked_hold(ctx, hold_id)
    if hold.status != HoldStatus.LIFT_REQUESTED:
        raise Conflict(_("Nobody asked to lift this hold."), code="hold_not_requested")
    if hold.lift_requested_by_id == ctx.actor_id:
        raise PermissionDenied(_("Someone other than the requester decides whether a hold is lifted."))
    if approve:
        hold.status, hold.lifted_by, hold.lifted_at = HoldStatus.LIFTED, ctx.actor, clock.now()
    else:
        hold.status, hold.lift_requested_by, hold.lift_reason = HoldStatus.ACTIVE, None, ""
    hold.save(update_fields=["status", "lifted_by", "lifted_at", "lift_requested_by", "lift_reason"])
    audit.record(
        ctx, "lifecycle.hold_lifted", **_about(hold), outcome="success" if approve else "denied",  # type: ignore[arg-type]
        detail={**_detail(hold), "approved": approve},
    )  # fmt: skip
    return hold


def _months(code: str, default: int) -> int:
    rule = RetentionRule.objects.filter(code=code).first()
    return rule.period_months if rule is not None else default


def had_relationship(customer: Customer) -> bool:
    from clientvault.assets.models import Asset

    return (
        customer.status != Status.PROSPECT
        or Asset.objects.unrestricted(reason="AML hold: does the customer hold assets").filter(customer_id=customer.pk).exists()
    )


def relationship_end(customer: Customer) -> dt.date:
    """The day the relationship ended: recorded, else the day it was closed (last update), else today."""
    if customer.relationship_ended_on is not None:
        return customer.relationship_ended_on
    if customer.status == Status.CLOSED:
        return timezone.localdate(customer.updated_at)
    return clock.today()


def place_aml_holds(ctx: Context, customer: Customer) -> list[LegalHold]:
    """AML-34 holds for a customer whose relationship ended (in the caller's transaction; idempotent)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("AML holds are placed inside the transaction of the act that ends the relationship")
    from clientvault.assets.models import Asset, LedgerEntry

    if not had_relationship(customer):
        return []
    end = relationship_end(customer)
    wanted = [("kyc", end, add_months(end, _months("kyc-aml", 120)))]
    assets = Asset.objects.unrestricted(reason="AML hold: the customer's assets").filter(customer_id=customer.pk)
    if assets.exists():
        last = LedgerEntry.objects.filter(asset__in=assets.values("pk")).aggregate(last=Max("created_at"))["last"]
        last_day = timezone.localdate(last) if last is not None else end
        wanted.append(("transactions", last_day, add_months(last_day, _months("transactions-aml", 120))))
    placed = []
    existing = set(
        LegalHold.objects.filter(customer_id=customer.pk, basis=HoldBasis.AML, automatic=True)
        .exclude(status=HoldStatus.LIFTED)
        .values_list("category", flat=True)
    )
    for category, start, until in wanted:
        if category in existing:
            continue
        hold = LegalHold.objects.create(
            customer_id=customer.pk, basis=HoldBasis.AML, category=category, reference="AML-34", starts_on=start, until=until,
            automatic=True, placed_at=clock.now(),
        )  # fmt: skip
        audit.record(ctx, "lifecycle.hold_placed", **_about(hold), detail={**_detail(hold), "automatic": True})  # type: ignore[arg-type]
        placed.append(hold)
    return placed
