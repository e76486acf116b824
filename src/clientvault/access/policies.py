"""Who may do what, on which rows — the first cut (issue #2), as pure data and functions.

Each grant gives a role some actions on a resource over a row scope. A user with several roles
gets the union; for each action the widest scope wins. Default deny: no grant, no access.
Issue #3 replaces this table with versioned policy rows (purposes, field clearance, masking);
callers only use ``scope_for`` / ``allows`` / ``capabilities``, so they will not change.
ARCHITECTURE.md rules 3-4: no superuser bypass; administrators get no customer data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from clientvault.accounts import roles as R


class Scope(IntEnum):
    """Row scopes, ordered from narrowest to widest."""

    NONE = 0
    OWN = 1
    SUBTREE = 2
    ENTITY = 3
    ALL = 4


VIEW, CREATE, CHANGE, DELETE = "view", "create", "change", "delete"
CUSTOMER, FOLLOWUP = "customer", "followup"
# Capabilities that are not about customer rows: what the navigation and admin pages check.
MANAGE_USERS, MANAGE_CUSTOM_FIELDS = "manage_users", "manage_custom_fields"
MANAGE_CLASSIFICATION = "manage_classification"
MANAGE_PURPOSES = "manage_purposes"


@dataclass(frozen=True)
class Grant:
    role: str
    resource: str
    actions: frozenset[str]
    scope: Scope


def _g(role: str, resource: str, actions: str, scope: Scope) -> Grant:
    return Grant(role, resource, frozenset(actions.split()), scope)


GRANTS: tuple[Grant, ...] = (
    _g(R.SALES_REP, CUSTOMER, "view create change delete", Scope.OWN),
    _g(R.SALES_REP, FOLLOWUP, "view create change delete", Scope.OWN),
    _g(R.SALES_MANAGER, CUSTOMER, "view create change delete", Scope.SUBTREE),
    _g(R.SALES_MANAGER, FOLLOWUP, "view create change delete", Scope.SUBTREE),
    _g(R.RISK_OFFICER, CUSTOMER, "view", Scope.ENTITY),
    _g(R.RISK_OFFICER, FOLLOWUP, "view", Scope.ENTITY),
    _g(R.COMPLIANCE_OFFICER, CUSTOMER, "view", Scope.ENTITY),
    _g(R.COMPLIANCE_OFFICER, FOLLOWUP, "view", Scope.ENTITY),
    _g(R.COMPLIANCE_OFFICER, MANAGE_CUSTOM_FIELDS, "view", Scope.ALL),
    _g(R.COMPLIANCE_OFFICER, MANAGE_CLASSIFICATION, "view change", Scope.ALL),
    _g(R.AUDITOR, MANAGE_CLASSIFICATION, "view", Scope.ALL),
    _g(R.COMPLIANCE_OFFICER, MANAGE_PURPOSES, "view change", Scope.ALL),
    _g(R.AUDITOR, MANAGE_PURPOSES, "view", Scope.ALL),
    _g(R.AUDITOR, CUSTOMER, "view", Scope.ENTITY),
    _g(R.AUDITOR, FOLLOWUP, "view", Scope.ENTITY),
    _g(R.ADMINISTRATOR, MANAGE_USERS, "view create change", Scope.ALL),
    _g(R.ADMINISTRATOR, MANAGE_CUSTOM_FIELDS, "view create change", Scope.ALL),
)


def scope_for(roles: Iterable[str], resource: str, action: str, grants: Iterable[Grant] = GRANTS) -> Scope:
    """The widest row scope any of ``roles`` has for ``action`` on ``resource``; NONE by default."""
    held = set(roles)
    scopes = [g.scope for g in grants if g.role in held and g.resource == resource and action in g.actions]
    return max(scopes, default=Scope.NONE)


def allows(roles: Iterable[str], resource: str, action: str) -> bool:
    return scope_for(roles, resource, action) > Scope.NONE


def capabilities(roles: Iterable[str]) -> frozenset[str]:
    """``resource.action`` strings the roles hold anywhere — for navigation, never for row checks."""
    held = set(roles)
    return frozenset(f"{g.resource}.{a}" for g in GRANTS if g.role in held for a in g.actions)
