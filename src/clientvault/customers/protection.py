"""A record's protection (ARCHITECTURE.md rule 12, issues #11 and #13).

Core customers count as C3 in every field. Clearing "core" — or any change to a record that would show
its editor a class more openly — would let the editor widen their own sight with no reveal event, so
``update_customer`` refuses it (``refuse_loosening``) for anyone whose own view it would widen; raising
protection stays open to whoever may edit. Clearing "core" is proposed by compliance (``clear_core``) or a
manager (an edit) as a ``customers.lower_protection`` change request that another compliance officer
approves; applied, it is recorded as ``customer.protection_lowered``.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import CHANGE, CUSTOMER, LOWER_PROTECTION, RowFacts, allows
from clientvault.approvals.models import ChangeRequest
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied
from clientvault.customers import changes
from clientvault.customers.models import Customer


def refuse_loosening(ctx: Context, before: RowFacts, after: RowFacts) -> None:
    """Refuse a change that would show the actor any field of the record more openly."""
    if engine.policies(ctx).loosens(ctx.roles, engine.actor_facts(ctx), before, after, CUSTOMER):
        raise PermissionDenied(_("This change would lower the record's protection and widen what you see: ask compliance."))


@transaction.atomic
def clear_core(*, ctx: Context, customer_id: uuid.UUID, reason: str = "") -> ChangeRequest:
    """Compliance proposes clearing the core flag of a customer it may see; another compliance officer decides."""
    if ctx.actor is None or not allows(ctx.roles, LOWER_PROTECTION, CHANGE):
        raise PermissionDenied()
    engine.require_purpose(ctx)
    customer = Customer.objects.visible_to(ctx, "view").select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    if not customer.is_core:
        raise Conflict(_("This customer is not core."), code="not_core")
    return changes.submit_all(ctx, customer, [changes.lower_protection_proposal(customer)], reason=reason)[0]
