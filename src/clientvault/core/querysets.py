"""The base of every personal-data queryset: default deny, restricted by the actor's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from clientvault.access.policies import Scope

if TYPE_CHECKING:
    from clientvault.context import Context

M = TypeVar("M", bound=models.Model)


class PolicyQuerySet(models.QuerySet[M]):
    """Subclasses name their policy resource and say how each scope maps to a filter.

    ``visible_to(ctx, action)`` is the only way views, the API and selectors reach rows:
    a row outside scope is indistinguishable from a missing one (ARCHITECTURE.md rule 4).
    """

    resource: str = ""
    # The outer reference to the customer's id and to their child flag, for consent gating (None: rows not
    # about one customer).
    consent_customer_ref: str | None = None
    consent_minor_field: str = "minor_until"

    def unrestricted(self, *, reason: str) -> PolicyQuerySet[M]:
        """Every row, for work done for no one person (sealing, key rotation, migrations of data).

        ``reason`` says why in words a reviewer can check; every call is greppable (ARCHITECTURE.md rule 11).
        """
        if not reason or not reason.strip():
            raise ValueError("unrestricted() needs a reason")
        return self.all()

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        raise TypeError(f"{type(self).__name__} must define scope_filter")

    def visible_to(self, ctx: Context, action: str = "view") -> PolicyQuerySet[M]:
        """Rows the actor may take ``action`` on for the declared purpose: the union of its rules' scopes.

        A person without a declared purpose gets ``PurposeRequired`` (never an empty page that looks
        like "no customers"); no rule for the purpose means no rows; a purpose that needs consent
        leaves out customers without live consent for it (ARCHITECTURE.md rule 5).
        """
        from clientvault.access import engine

        engine.require_purpose(ctx)
        held = engine.scopes(ctx, self.resource, action)
        if not held or ctx.actor is None:
            return self.none()
        qs = self.all()
        if Scope.ALL not in held:
            cond = Q()
            for scope in sorted(held):
                cond |= self.scope_filter(ctx, scope)
            qs = qs.filter(cond)
        if self.consent_customer_ref is not None and engine.needs_consent(ctx, ctx.purpose):
            from clientvault.consents.enforcement import live_filter

            # Rule 5: for a consent-based purpose, a customer without live consent is out of sight.
            qs = qs.filter(live_filter(ctx.purpose, self.consent_customer_ref, self.consent_minor_field))
        return qs


def department_filter(ctx: Context, scope: Scope, *, owner_field: str, department_field: str, entity_field: str) -> Q:
    """The common mapping of OWN / SUBTREE / ENTITY onto owner, department path and legal entity."""
    actor: Any = ctx.actor
    if scope is Scope.OWN:
        return Q(**{owner_field: actor.pk})
    dept = actor.department
    if dept is None:
        return Q(pk__in=[])
    if scope is Scope.SUBTREE:
        return Q(**{f"{department_field}__path__startswith": dept.path})
    return Q(**{entity_field: dept.legal_entity_id})
