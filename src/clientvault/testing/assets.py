"""Assets written for test setup through the posting core (the same code the services call, minus the actor's
checks and audit), and reads for assertions."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from django.db import transaction

from clientvault.assets import ledger
from clientvault.assets.ledger import Leg, Movement
from clientvault.assets.models import NEGATIVE_KINDS, Asset, EntryKind, JournalKind, Kind
from clientvault.core import clock
from clientvault.customers.models import Customer

_keys = itertools.count(1)


def key(prefix: str = "t") -> str:
    return f"{prefix}-{next(_keys)}-{uuid.uuid4().hex[:8]}"


@transaction.atomic
def asset(c: Customer, *, kind: str = Kind.DEPOSIT, currency: str = "CNY", balance: int = 0, **fields: Any) -> Asset:
    """An open asset of ``c`` (its ``open`` entry posted), funded with ``balance`` from the clearing account."""
    now = clock.now()
    a = Asset(
        customer=c,
        kind=kind,
        currency=currency,
        opened_on=now.date(),
        allow_negative=kind in NEGATIVE_KINDS,
        department_id=c.department_id,
        legal_entity_id=c.legal_entity_id,
        created_at=now,
        **fields,
    )
    a.save(force_insert=True)
    ledger.post(Movement(JournalKind.OPEN, (Leg(a.pk, EntryKind.OPEN),)), idempotency_key=key("open"), operator_id=None, purpose="test")
    if balance:
        fund(a, balance)
    return reload(a)


def clearing(c: Customer, currency: str = "CNY") -> Asset:
    from clientvault.assets.services import clearing_account

    return reload_id(clearing_account(c.legal_entity_id, currency))


@transaction.atomic
def fund(a: Asset, amount: int) -> None:
    """Deposit ``amount`` into ``a`` against its institution's clearing account."""
    c = clearing(a.customer, a.currency) if a.customer is not None else None
    assert c is not None
    movement = Movement(JournalKind.DEPOSIT, (Leg(a.pk, EntryKind.DEPOSIT, amount), Leg(c.pk, EntryKind.DEPOSIT, -amount)))
    ledger.post(movement, idempotency_key=key("fund"), operator_id=None, purpose="test")


def reload(a: Asset) -> Asset:
    return reload_id(a.pk)


def reload_id(asset_id: uuid.UUID) -> Asset:
    return Asset.objects.unrestricted(reason="test assertion").select_related("customer").get(pk=asset_id)


# --- Through the services (the actor's checks, sealing and audit included): for UI and API tests -------------


def open_asset(
    customer: Customer,
    by: Any = None,
    *,
    kind: str = "deposit",
    currency: str = "CNY",
    identifier: str = "6222020200112233445",
    product: str = "活期储蓄",
    balance: int = 0,
) -> Asset:
    """An open asset of ``customer``, opened by ``by`` (default: the owner) through ``open_asset``, with ``balance``
    minor units deposited through ``deposit`` (both audited as in production)."""
    from clientvault.assets import services
    from clientvault.testing.actors import ctx

    actor = by or customer.owner
    assert actor is not None
    result = services.open_asset(
        ctx=ctx(actor),
        customer_id=customer.pk,
        kind=kind,
        identifier=identifier,
        product=product,
        currency=currency,
        idempotency_key=key("open"),
        reason="test",
    )
    (opened,) = result.assets.values()
    if balance:
        services.deposit(ctx=ctx(actor), asset_id=opened.pk, amount_minor=balance, idempotency_key=key("deposit"), reason="test")
    return reload_id(opened.pk)
