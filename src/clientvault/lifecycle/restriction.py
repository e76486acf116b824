"""Restriction of processing (PIPL-47 "stop all processing except storage", GDPR-18): the only writer of
``Customer.restricted_at`` / ``restriction_basis``. What a restriction hides is ``customers.querysets.lifecycle_filter``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.lifecycle import queries


def restrict(ctx: Context, *, customer_id: uuid.UUID, basis: str, detail: Mapping[str, Any] | None = None) -> bool:
    """Restrict a customer (in the caller's transaction); returns False when already restricted (nothing recorded)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("restrict runs inside the transaction of the act that restricts")
    customer = queries.lock_customer(customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound()
    if customer.restricted_at is not None:
        return False
    customer.restricted_at = clock.now()
    customer.restriction_basis = basis[:40]
    customer.save(update_fields=["restricted_at", "restriction_basis"])
    audit.record(
        ctx, "lifecycle.restricted", object_type="customers.customer", object_id=str(customer_id), customer_id=customer_id,
        detail={"basis": basis, **dict(detail or {})},
    )  # fmt: skip
    return True


def unrestrict(ctx: Context, *, customer_id: uuid.UUID, detail: Mapping[str, Any] | None = None) -> bool:
    """Lift a restriction (in the caller's transaction) unless a legal hold still keeps the customer stored only."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("unrestrict runs inside the transaction of the act that lifts the restriction")
    customer = queries.lock_customer(customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound()
    if customer.restricted_at is None or queries.hold_bases(customer_id):
        return False
    customer.restricted_at = None
    customer.restriction_basis = ""
    customer.save(update_fields=["restricted_at", "restriction_basis"])
    audit.record(
        ctx, "lifecycle.unrestricted", object_type="customers.customer", object_id=str(customer_id), customer_id=customer_id,
        detail=dict(detail or {}),
    )  # fmt: skip
    return True
