"""Plain reads the lifecycle's services share (no personal value; the acts that use them record their events)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.customers.models import Customer
from clientvault.lifecycle.models import HoldStatus, LegalHold

_REASON = "lifecycle: a legal hold, restriction or erasure works on the record whatever the actor's sight"


def lock_customer(customer_id: uuid.UUID) -> Customer | None:
    """The customer row under a row lock: placing a hold and every erasure step lock it first, so a hold placed
    while a step runs waits for the step's commit (and the next step sees it), never slips between check and act."""
    return Customer.objects.unrestricted(reason=_REASON).select_for_update().filter(pk=customer_id).first()


def holds_in_force(customer_id: uuid.UUID, *, today: dt.date | None = None) -> list[LegalHold]:
    """Holds not lifted that have not ended by ``today`` (a lift merely requested still holds). A hold that starts
    later binds already: deleting now would destroy what it is placed to keep (AML-34, a litigation hold)."""
    day = today or clock.today()
    holds = LegalHold.objects.filter(customer_id=customer_id).exclude(status=HoldStatus.LIFTED).order_by("starts_on", "basis")
    return [h for h in holds if h.until is None or day <= h.until]


def hold_bases(customer_id: uuid.UUID) -> tuple[str, ...]:
    """The bases of the holds in force on the whole customer or any category (sorted, distinct)."""
    return tuple(sorted({h.basis for h in holds_in_force(customer_id)}))


def hold_bases_of(customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """``hold_bases`` for many customers in one query (the sweep's chunks); customers without a hold are absent."""
    day = clock.today()
    found: dict[uuid.UUID, set[str]] = {}
    rows = LegalHold.objects.filter(customer_id__in=list(customer_ids)).exclude(status=HoldStatus.LIFTED)  # future ones bind too
    for customer_id, basis, until in rows.values_list("customer_id", "basis", "until"):
        if until is None or day <= until:
            found.setdefault(customer_id, set()).add(basis)
    return {cid: tuple(sorted(bases)) for cid, bases in found.items()}


def ref_code(value: str) -> str:
    """A request reference as an audit detail may hold it (a code or a uuid; anything else by its digest)."""
    import hashlib

    from clientvault.core.details import check_detail

    try:
        check_detail({"ref": value})
    except ValueError:
        return "ref:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
    return value


def in_entity(ctx: Context, customer: Customer) -> bool:
    department = getattr(ctx.actor, "department", None) if ctx.actor is not None else None
    return department is not None and department.legal_entity_id == customer.legal_entity_id


def entity_customers(ctx: Context) -> QuerySet[Any]:
    """The ids of every customer (tombstones included) of the actor's legal entity: the compliance desk's scope
    for holds and certificates (contract: compliance officers, all of their own legal entity). None: no actor."""
    department = getattr(ctx.actor, "department", None) if ctx.actor is not None else None
    if department is None:
        return Customer.objects.unrestricted(reason=_REASON).none().values("pk")
    return Customer.objects.unrestricted(reason=_REASON).filter(legal_entity_id=department.legal_entity_id).values("pk")


def holds_for(ctx: Context) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(customer_id__in=entity_customers(ctx))


def certificates_for(ctx: Context) -> QuerySet[Any]:
    from clientvault.lifecycle.models import DeletionCertificate

    return DeletionCertificate.objects.filter(customer_id__in=entity_customers(ctx))
