"""Who may do what, on which rows, for which purpose, and how each field is shown — pure functions.

Access to customer data is granted by policy *rules* (``Rule``), which are rows of the ``Policy``
table (data, versioned, edited by compliance; ``access.engine`` loads and caches them). A rule gives
a role some actions on a resource, for some purposes, over a row scope, with a field clearance: the
highest JR/T 0171 class shown in clear, and for each class above it ``masked`` or ``withheld``.
Default deny: no rule for (role, resource, action, purpose), no access (ARCHITECTURE.md rules 3-4).

Capabilities that are not about customer rows (managing users, catalogues, policies) stay in code
(``CAPABILITY_GRANTS``): a policy table that could grant the right to edit itself would be no control.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from clientvault.core.capabilities import (
    ASSET as ASSET,
)
from clientvault.core.capabilities import (
    AUDIT_TRAIL as AUDIT_TRAIL,
)
from clientvault.core.capabilities import (
    BREAK_GLASS as BREAK_GLASS,
)
from clientvault.core.capabilities import (
    CAPABILITY_GRANTS as CAPABILITY_GRANTS,
)
from clientvault.core.capabilities import (
    CHANGE as CHANGE,
)
from clientvault.core.capabilities import (
    CLASSES as CLASSES,
)
from clientvault.core.capabilities import (
    CONSENTS as CONSENTS,
)
from clientvault.core.capabilities import (
    CREATE as CREATE,
)
from clientvault.core.capabilities import (
    CREDIT as CREDIT,
)
from clientvault.core.capabilities import (
    CUSTOMER as CUSTOMER,
)
from clientvault.core.capabilities import (
    DATA_ACTIONS as DATA_ACTIONS,
)
from clientvault.core.capabilities import (
    DATA_RESOURCES as DATA_RESOURCES,
)
from clientvault.core.capabilities import (
    DELETE as DELETE,
)
from clientvault.core.capabilities import (
    EXPORT as EXPORT,
)
from clientvault.core.capabilities import (
    FOLLOWUP as FOLLOWUP,
)
from clientvault.core.capabilities import (
    LOWER_PROTECTION as LOWER_PROTECTION,
)
from clientvault.core.capabilities import (
    MANAGE_CLASSIFICATION as MANAGE_CLASSIFICATION,
)
from clientvault.core.capabilities import (
    MANAGE_CUSTOM_FIELDS as MANAGE_CUSTOM_FIELDS,
)
from clientvault.core.capabilities import (
    MANAGE_POLICIES as MANAGE_POLICIES,
)
from clientvault.core.capabilities import (
    MANAGE_PURPOSES as MANAGE_PURPOSES,
)
from clientvault.core.capabilities import (
    MANAGE_USERS as MANAGE_USERS,
)
from clientvault.core.capabilities import (
    REVEAL as REVEAL,
)
from clientvault.core.capabilities import (
    ROLE_GRANTS as ROLE_GRANTS,
)
from clientvault.core.capabilities import (  # re-exported: callers above core know these names from here
    VIEW as VIEW,
)
from clientvault.core.capabilities import (
    Grant as Grant,
)
from clientvault.core.capabilities import (
    allows as allows,
)
from clientvault.core.capabilities import (
    class_rank as class_rank,
)
from clientvault.core.capabilities import (
    code_capabilities as code_capabilities,
)


class Scope(IntEnum):
    """Row scopes, ordered from narrowest to widest."""

    NONE = 0
    OWN = 1
    SUBTREE = 2
    ENTITY = 3
    ALL = 4


class Decision(StrEnum):
    """How one field of one record is shown to one actor (JRT0171-DISPLAY-mask)."""

    WITHHELD = "withheld"
    MASKED = "masked"
    PLAIN = "plain"


@dataclass(frozen=True)
class Rule:
    """One active policy row, compiled."""

    code: str
    role: str
    resource: str
    actions: frozenset[str]
    purposes: frozenset[str]
    scope: Scope
    max_clear: str  # "" = nothing in clear
    masking: Mapping[str, str] = field(default_factory=dict)  # class -> "masked" | "withheld"

    def field_decision(self, jrt_class: str) -> Decision:
        if self.max_clear and class_rank(jrt_class) <= class_rank(self.max_clear):
            return Decision.PLAIN
        return Decision.MASKED if self.masking.get(jrt_class) == Decision.MASKED else Decision.WITHHELD


@dataclass(frozen=True)
class ActorFacts:
    user_id: int | None
    department_path: str | None
    legal_entity_id: int | None


@dataclass(frozen=True)
class RowFacts:
    owner_id: int | None
    department_path: str | None
    legal_entity_id: int | None
    is_core: bool = False


def covers(scope: Scope, actor: ActorFacts, row: RowFacts) -> bool:
    """Whether a row lies within ``scope`` of the actor — the Python twin of ``department_filter``."""
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN:
        return actor.user_id is not None and row.owner_id == actor.user_id
    if scope is Scope.SUBTREE:
        return bool(actor.department_path) and (row.department_path or "").startswith(actor.department_path or "\0")
    if scope is Scope.ENTITY:
        return actor.legal_entity_id is not None and row.legal_entity_id == actor.legal_entity_id
    return False


@dataclass(frozen=True)
class FieldView:
    decision: Decision
    revealable: bool = False


_ORDER = {Decision.WITHHELD: 0, Decision.MASKED: 1, Decision.PLAIN: 2}


def _view(viewing: Iterable[Rule], revealing: Iterable[Rule], jrt_class: str) -> FieldView:
    """The most open decision the viewing rules give a class; revealable when it is masked and a reveal
    rule would at least mask it."""
    best = max((r.field_decision(jrt_class) for r in viewing), key=_ORDER.__getitem__, default=Decision.WITHHELD)
    can_reveal = best is Decision.MASKED and any(r.field_decision(jrt_class) is not Decision.WITHHELD for r in revealing)
    return FieldView(best, can_reveal)


@dataclass(frozen=True)
class PolicySet:
    """The compiled, active rules. Several roles get the union; for each field the most open decision
    among the rules that cover the row wins."""

    rules: tuple[Rule, ...] = ()
    consent_purposes: frozenset[str] = frozenset()  # purposes that need live consent (consents.enforcement)

    def matching(self, roles: Iterable[str], resource: str, action: str, purpose: str) -> tuple[Rule, ...]:
        held = set(roles)
        if not purpose:
            return ()
        return tuple(r for r in self.rules if r.role in held and r.resource == resource and action in r.actions and purpose in r.purposes)

    def scopes(self, roles: Iterable[str], resource: str, action: str, purpose: str) -> frozenset[Scope]:
        return frozenset(r.scope for r in self.matching(roles, resource, action, purpose) if r.scope > Scope.NONE)

    def scope(self, roles: Iterable[str], resource: str, action: str, purpose: str) -> Scope:
        return max(self.scopes(roles, resource, action, purpose), default=Scope.NONE)

    def purposes_for(self, roles: Iterable[str], resource: str = CUSTOMER, action: str = VIEW) -> frozenset[str]:
        held = set(roles)
        return frozenset(p for r in self.rules if r.role in held and r.resource == resource and action in r.actions for p in r.purposes)

    def capabilities(self, roles: Iterable[str]) -> frozenset[str]:
        """``resource.action`` the roles hold for any purpose (navigation only, never a row check)."""
        held = set(roles)
        return frozenset(f"{r.resource}.{a}" for r in self.rules if r.role in held and r.purposes - {BREAK_GLASS} for a in r.actions)

    def decide(
        self,
        roles: Iterable[str],
        purpose: str,
        actor: ActorFacts,
        row: RowFacts,
        classes: Mapping[str, str],
        resource: str = CUSTOMER,
    ) -> dict[str, FieldView]:
        """The decision for every field in ``classes`` (field → JR/T 0171 class) of one row.

        A core customer's fields all take the strictest class, C3 (issue #3). Revealing is possible for a
        masked field when a rule covering the row grants ``reveal`` and would at least mask that class.
        """
        roles = tuple(roles)
        viewing = [r for r in self.matching(roles, resource, VIEW, purpose) if covers(r.scope, actor, row)]
        revealing = [r for r in self.matching(roles, resource, REVEAL, purpose) if covers(r.scope, actor, row)]
        return {name: _view(viewing, revealing, "C3" if row.is_core else cls) for name, cls in classes.items()}

    def loosens(self, roles: Iterable[str], actor: ActorFacts, before: RowFacts, after: RowFacts, resource: str = CUSTOMER) -> bool:
        """Whether changing a row from ``before`` to ``after`` (clearing "core", moving it) would show the
        actor any class more openly under any purpose their roles hold (ARCHITECTURE.md rule 12)."""
        roles = tuple(roles)
        classes = {c: c for c in CLASSES}
        for purpose in self.purposes_for(roles, resource, VIEW):
            was = self.decide(roles, purpose, actor, before, classes, resource)
            now = self.decide(roles, purpose, actor, after, classes, resource)
            if any(_ORDER[now[c].decision] > _ORDER[was[c].decision] for c in CLASSES):
                return True
        return False

    def in_scope_view(self, role: str, purpose: str, jrt_class: str, resource: str = CUSTOMER) -> FieldView | None:
        """What ``role`` sees of a field of class ``jrt_class`` on a row its rules cover; None without a
        view rule for the purpose (the "who may see what" page)."""
        viewing = self.matching([role], resource, VIEW, purpose)
        return _view(viewing, self.matching([role], resource, REVEAL, purpose), jrt_class) if viewing else None


def _rule_of(snapshot: Mapping[str, object]) -> Rule:
    return Rule(
        code="",
        role=str(snapshot.get("role") or ""),
        resource=str(snapshot.get("resource") or ""),
        actions=frozenset(str(a) for a in snapshot.get("actions") or ()),  # type: ignore[attr-defined]
        purposes=frozenset(str(p) for p in snapshot.get("purposes") or ()),  # type: ignore[attr-defined]
        scope=Scope(int(snapshot.get("scope") or 0)),  # type: ignore[call-overload]
        max_clear=str(snapshot.get("max_clear_class") or ""),
        masking={str(k): str(v) for k, v in dict(snapshot.get("masking") or {}).items()},  # type: ignore[call-overload]
    )


def widening(old: Mapping[str, object] | None, new: Mapping[str, object]) -> list[str]:
    """What in a policy change widens sight (ARCHITECTURE.md rule 12): a new or re-activated rule, a rule
    moved to another role or resource, new actions or purposes, a wider scope, or any class shown more
    openly (withheld → masked → plain). Empty: the change keeps or narrows sight and applies at once."""
    if not new.get("active"):
        return []  # an inactive rule grants nothing
    if old is None or not old.get("active"):
        return ["active"]
    before, after = _rule_of(old), _rule_of(new)
    out = []
    if (after.role, after.resource) != (before.role, before.resource):
        out.append("role")
    if after.actions - before.actions:
        out.append("actions")
    if after.purposes - before.purposes:
        out.append("purposes")
    if after.scope > before.scope:
        out.append("scope")
    if any(_ORDER[after.field_decision(c)] > _ORDER[before.field_decision(c)] for c in CLASSES):
        out.append("fields")
    return out
