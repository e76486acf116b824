"""Who may write which customer: the checks every customer write makes before it acts (ARCHITECTURE.md rule 1).

A grant for the resource and action under the declared purpose, the row locked inside the actor's scope (404
when out of sight, 403 when visible but not allowed), no value overwritten that the actor does not see in
clear, and the row still in scope after the write."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence

from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import CUSTOMER, DATA_RESOURCES, VIEW, Decision, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import disclosure
from clientvault.customers.models import Customer

# Purposes whose write grants are bound to a workflow (issue #15): compliance's CHANGE under ``rights_request``
# (access/defaults.py "compliance-corrections") serves only a correction the customer asked for (PIPL-46), written
# by the request's fulfilment. The workflow registers a guard (rights/apps.py); a write under a bound purpose that
# its guard does not vouch for — or with no guard registered — is refused (fail closed), whatever the UI/API sent.
BOUND_WRITE_PURPOSES = frozenset({"rights_request"})
_guards: dict[str, Callable[[Context, uuid.UUID], bool]] = {}


def bind_write_purpose(purpose: str, guard: Callable[[Context, uuid.UUID], bool]) -> None:
    _guards[purpose] = guard


def require_bound_purpose(ctx: Context, customer_id: uuid.UUID) -> None:
    if ctx.purpose in BOUND_WRITE_PURPOSES:
        guard = _guards.get(ctx.purpose)
        if guard is None or not guard(ctx, customer_id):
            raise PermissionDenied(_("Under this purpose a customer is changed only by a data-subject request's correction."))


def require(ctx: Context, resource: str, action: str) -> None:
    if ctx.actor is None:
        raise PermissionDenied()
    if resource in DATA_RESOURCES:
        engine.require_purpose(ctx)
        if not engine.can(ctx, resource, action):
            raise PermissionDenied()
    elif not allows(ctx.roles, resource, action):
        raise PermissionDenied()


def refuse_blind_changes(ctx: Context, customer: Customer, fields: Sequence[str], custom_keys: Sequence[str]) -> None:
    """Nobody overwrites a value they do not see in clear under their purpose (it would be written blind,
    or replaced by its masked form): such fields are refused, each with its own error."""
    views = disclosure.decisions(ctx, customer, [f for f in fields if f in (*disclosure.DISCLOSED, disclosure.TAGS)], custom_keys)
    blocked = sorted(f for f, v in views.items() if v.decision != Decision.PLAIN)
    if blocked:
        message = _("You cannot change a value you do not see in clear for this purpose.")
        raise ValidationFailed({f.replace("custom.", "custom__") if f.startswith("custom.") else f: [message] for f in blocked})


def locked_customer(ctx: Context, customer_id: uuid.UUID, action: str, resource: str = CUSTOMER) -> Customer:
    """Lock the customer row for ``action``: 404 if out of view scope, 403 if visible but not allowed."""
    visible = Customer.objects.visible_to(ctx, "view")
    if not visible.filter(pk=customer_id).exists():
        raise NotFound()
    target = Customer.objects.visible_to(ctx, action, resource=resource)
    customer = target.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise PermissionDenied()
    if action != VIEW:
        require_bound_purpose(ctx, customer_id)
    return customer


def ensure_visible(ctx: Context, customer: Customer) -> None:
    # NetBox's habit: after a write, the row must still be inside the actor's scope.
    if not Customer.objects.visible_to(ctx, "view").filter(pk=customer.pk).exists():
        raise PermissionDenied(_("The change would move the customer outside what you may see."))


def openable_ids(ctx: Context, ids: set[uuid.UUID]) -> Iterable[uuid.UUID]:
    """Which of ``ids`` the viewer's own policy lets them open — one id query, no reveal (the audit trail's links)."""
    return Customer.objects.visible_to(ctx, VIEW).filter(pk__in=ids).values_list("pk", flat=True)
