"""Policy-restricted querysets: ``PolicyQuerySet`` (the base of every personal-data queryset restricted by
the actor's scope, purpose and consent) and the default-deny queryset of break-glass sessions
(ARCHITECTURE.md rules 4 and 11).

``PolicyQuerySet.visible_to(ctx, action)`` maps the scopes the access engine grants onto a filter; the
default-deny machinery itself (``GuardedQuerySet``) is the kernel's, in ``core/querysets.py``.

Break-glass sessions:

A window's reason may name the customer it was opened for. A person sees their own windows; compliance
and audit (who may view policies) see every window (the break-glass log). The scheduler's expiry and the
notification task say why they read all rows with ``unrestricted(reason=…)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from clientvault.access.policies import MANAGE_POLICIES, VIEW, Scope, allows
from clientvault.core.querysets import GuardedQuerySet

if TYPE_CHECKING:
    from clientvault.core.context import Context

M = TypeVar("M", bound=models.Model)


class BreakGlassSessionQuerySet(GuardedQuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[Any]:
        qs = self._mark("visible_to")
        if ctx.actor is None:
            return qs.none()
        if action == VIEW and allows(ctx.roles, MANAGE_POLICIES, VIEW):
            return qs
        return qs.filter(user_id=ctx.actor.pk)


class PolicyQuerySet(GuardedQuerySet[M]):
    """Subclasses name their policy resource and say how each scope maps to a filter.

    ``visible_to(ctx, action)`` is the only way views, the API and selectors reach rows:
    a row outside scope is indistinguishable from a missing one (ARCHITECTURE.md rule 4).
    """

    resource: str = ""
    # The outer reference to the customer's id and to their child flag, for consent gating and for the
    # portal's data subject (None: rows not about one customer).
    consent_customer_ref: str | None = None
    consent_minor_field: str = "minor_until"

    def scope_filter(self, ctx: Context, scope: Scope) -> Q:
        raise TypeError(f"{type(self).__name__} must define scope_filter")

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> PolicyQuerySet[M]:
        """Rows the actor may take ``action`` on for the declared purpose: the union of its rules' scopes.

        A person without a declared purpose gets ``PurposeRequired`` (never an empty page that looks
        like "no customers"); no rule for the purpose means no rows; a purpose that needs consent
        leaves out customers without live consent for it (ARCHITECTURE.md rule 5). A customer signed in
        to the portal (no staff actor) sees their own records only (PIPL-45). ``resource`` reads the grant
        of another resource over these rows (a follow-up grant reaching its customers).
        """
        from clientvault.access import engine

        qs = self._mark("visible_to")
        if ctx.actor is None and ctx.subject_ids:
            if self.consent_customer_ref is None:
                return qs.none()
            return qs.filter(**{f"{self.consent_customer_ref}__in": ctx.subject_ids})
        engine.require_purpose(ctx)
        held = engine.scopes(ctx, resource or self.resource, action)
        if not held or ctx.actor is None:
            return qs.none()
        if Scope.ALL not in held:
            cond = Q()
            for scope in sorted(held):
                cond |= self.scope_filter(ctx, scope)
            qs = qs.filter(cond)
        if self.consent_customer_ref is not None and engine.needs_consent(ctx, ctx.purpose):
            from clientvault.access import facts

            # Rule 5: for a consent-based purpose, a customer without live consent is out of sight. The
            # condition comes from the consents app's registered provider (none registered: no rows).
            qs = qs.filter(facts.consent_row_filter(ctx.purpose, self.consent_customer_ref, self.consent_minor_field))
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
